// The REST calls the widget makes beside its socket (design.md, "REST"): a file upload and the
// transcript download. Both carry the session token as a bearer token; both answer problem+json on error.

function sessionUrl(base, conversationId, tail) {
  return new URL(`chat/sessions/${encodeURIComponent(conversationId)}/${tail}`, base);
}

/** POST a file; `{ ack }` once stored, or `{ problem }` (null when the network failed). */
export async function uploadFile({ base, session, conversationId }, file, clientId) {
  const url = sessionUrl(base, conversationId, "attachments");
  url.searchParams.set("filename", file.name || "file");
  url.searchParams.set("client_id", clientId);
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { Authorization: `Bearer ${session}`, "Content-Type": file.type || "application/octet-stream" },
      body: file,
    });
    if (response.ok) return { ack: await response.json() };
    return { problem: await response.json().catch(() => null) };
  } catch {
    return { problem: null };
  }
}

/** GET the transcript and hand it to the browser as a download; throws when it cannot. */
export async function downloadTranscript({ base, session, conversationId }) {
  const response = await fetch(sessionUrl(base, conversationId, "transcript"), {
    headers: { Authorization: `Bearer ${session}` },
  });
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new Error((problem && (problem.detail || problem.title)) || String(response.status));
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `chat-transcript-${new Date().toISOString().slice(0, 10)}.txt`;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 60000);
}
