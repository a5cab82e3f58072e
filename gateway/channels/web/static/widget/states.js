// What a state change says to the customer, as a line in the transcript and to a screen reader.

import { fill } from "./dom.js";

/** Waiting for an agent: the banner says so (with "Stop waiting"), the transcript gets no line for it. */
export const WAITING = new Set(["escalating", "queued"]);

/** The words for a state frame, given the state before it ("" when there is nothing to say). */
export function stateText(s, frame, previous) {
  switch (frame.state) {
    case "escalating":
      return s.escalating;
    case "queued":
      return frame.queue && frame.queue.name ? fill(s.queued, { queue: frame.queue.name }) : s.queuedNoName;
    case "agent":
      return fill(s.agentJoined, { agent: (frame.agent && frame.agent.name) || s.agent });
    case "bot":
      if (previous === "agent") return s.agentLeft;
      return WAITING.has(previous) ? s.botBack : "";
    case "closed":
      return s.closed;
    default:
      return "";
  }
}
