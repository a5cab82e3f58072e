"""A Rasa 3.6.21 stand-in: the REST channel and the HTTP API calls the gateway uses, as an aiohttp app.

It copies what shared/specs/rasa.md sections 1-2 saw a real Rasa do ([run]), for the example bot in
``examples/rasa`` (its intents, rules and responses are written out below; tests/real_rasa checks the real
thing). Custom actions run in the REAL rasa-sdk action server over HTTP, with a tracker shaped like Rasa's, and
their responses become REST items through ``to_rest_messages`` (the same shaping as Rasa's own path).

- ``POST /webhooks/rest/webhook``: keyword NLU (or ``/intent`` / ``/intent{"entity": "value"}``), the rules,
  ``[]`` while paused, ``200 []`` when the action server fails, Rasa's 400 body for a non-JSON body.
  Not protected by the token (as in Rasa).
- ``POST /conversations/{id}/tracker/events``, ``POST /conversations/{id}/trigger_intent``,
  ``GET /conversations/{id}/tracker``: ``?token=`` checked (Rasa's 401 body), events validated (400),
  unknown intent 404. ``GET /status`` (token checked) answers like Rasa's.
- Faults: ``fail_events`` is a list of statuses the next tracker-events calls answer with (a 5xx), and
  ``token`` can be changed at any time (Rasa restarted with another ``--auth-token``).

Every request is kept in ``requests`` so tests can assert what the gateway sent.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, Final

import aiohttp
from aiohttp import web

from gateway.bots.rest_items import to_rest_messages

RASA_VERSION: Final = "3.6.21"
DOCS: Final = "https://rasa.com/docs/rasa"

# --- the example bot (examples/rasa: domain.yml, data/nlu.yml, data/rules.yml) -------------------------------
INTENTS: Final = ("greet", "goodbye", "human_handoff", "agent_left")
ENTITIES: Final = ("outcome", "agent_name", "duration_s", "reason")
SLOTS: Final = (
    "handoff_requested",
    "handoff_reason",
    "handoff_queue",
    "customer_name",
    "customer_email",
    "customer_language",
    "agents_available",
    "agents_next_open",
)
RESPONSES: Final[dict[str, list[dict[str, Any]]]] = {
    "utter_greet": [{"text": "Hi! I'm the virtual assistant. How can I help?"}],
    "utter_goodbye": [{"text": "Goodbye!"}],
    "utter_default": [
        {
            "text": "Sorry, I didn't get that. Would you like to talk to a human agent?",
            "buttons": [{"title": "Talk to an agent", "payload": "/human_handoff"}],
        }
    ],
    "utter_handoff_connecting": [{"text": "Connecting you to a human agent..."}],
    "utter_handoff_not_available": [
        {"text": "Sorry, I can't connect you to a person here. Please use the chat on our website."}
    ],
    "utter_agents_unavailable": [
        {
            "text": "No agent can take your chat right now; they are back {agents_next_open}. "
            "I'm here to help meanwhile."
        }
    ],
}
CUSTOM_ACTIONS: Final = (
    "action_check_agent_availability",
    "action_handoff_to_agent",
    "action_hand_back",
    "action_offer_agent",
)
RULES: Final = {
    "greet": "utter_greet",
    "goodbye": "utter_goodbye",
    "human_handoff": "action_check_agent_availability",
    "agent_left": "action_hand_back",
    "nlu_fallback": "action_offer_agent",
}
CORE_FALLBACK: Final = "utter_default"  # action_default_fallback utters it
NLU_EXAMPLES: Final = {
    "greet": ("hi", "hello", "hey", "good morning", "hello there"),
    "goodbye": ("bye", "goodbye", "see you", "that's all, thanks"),
    "human_handoff": (
        "I want to talk to a human",
        "agent",
        "can I speak to a real person",
        "connect me to an agent",
        "human please",
        "let me talk to support staff",
    ),
}
NLU_THRESHOLD: Final = 0.3
DOMAIN: Final[dict[str, Any]] = {
    "version": "3.1",
    "intents": list(INTENTS),
    "entities": list(ENTITIES),
    "slots": {
        name: {
            "type": "bool" if name in ("handoff_requested", "agents_available") else "text",
            "influence_conversation": name == "agents_available",
            "mappings": [{"type": "custom"}],
        }
        for name in SLOTS
    },
    "responses": RESPONSES,
    "actions": list(CUSTOM_ACTIONS),
    "session_config": {"session_expiration_time": 60, "carry_over_slots_to_new_session": True},
}

# --- Rasa's exact error bodies (rasa/server.py ErrorResponse; Sanic for a body that is not JSON) --------------
BAD_JSON_BODY: Final = (
    '{"description":"Bad Request","status":400,"message":"Failed when parsing body as json"}'
)
EVENT_TYPES: Final = frozenset(
    {
        "user",
        "bot",
        "action",
        "slot",
        "pause",
        "resume",
        "restart",
        "reset_slots",
        "rewind",
        "followup",
        "session_started",
        "user_featurization",
        "active_loop",
        "action_execution_rejected",
    }
)
NOT_JSON: Final = object()
_WORD = re.compile(r"[\w']+")


def sanic_dumps(body: Any) -> str:
    """Sanic 21.12 writes JSON with ujson: compact, ASCII only, and ``/`` escaped as ``\\/``."""
    return json.dumps(body, separators=(",", ":")).replace("/", "\\/")


def rasa_error(status: int, reason: str, message: str, *, help_url: str | None = None) -> web.Response:
    body: dict[str, Any] = {
        "version": RASA_VERSION,
        "status": "failure",
        "message": message,
        "reason": reason,
        "details": {},
        "help": help_url,
        "code": status,
    }
    return web.json_response(body, status=status, dumps=sanic_dumps)


def rasa_json(body: Any) -> web.Response:
    return web.json_response(body, dumps=sanic_dumps)


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    body: Any  # the decoded JSON, or the raw text when it is not JSON


@dataclass
class Tracker:
    sender_id: str
    events: list[dict[str, Any]] = field(default_factory=list)
    slots: dict[str, Any] = field(
        default_factory=lambda: {**dict.fromkeys(SLOTS), "session_started_metadata": None}
    )
    paused: bool = False
    latest_message: dict[str, Any] = field(default_factory=dict)
    latest_action_name: str | None = None
    latest_input_channel: str | None = None
    followup_action: str | None = None

    def add(self, event: dict[str, Any]) -> None:
        """Append one event and apply it, the way ``DialogueStateTracker.update`` does for these types."""
        event = {**event, "timestamp": event.get("timestamp") or time.time()}
        self.events.append(event)
        kind = event["event"]
        if kind == "slot":
            self.slots[event["name"]] = event.get("value")
        elif kind == "pause":
            self.paused = True
        elif kind == "resume":
            self.paused = False
        elif kind == "action":
            self.latest_action_name = event.get("name")
        elif kind == "user":
            self.latest_message = event["parse_data"]
            self.latest_input_channel = event.get("input_channel")
        elif kind in ("restart", "session_started"):
            self.paused = False  # tracker._reset() (specs/rasa.md section 2)
        elif kind == "reset_slots":
            self.slots = dict.fromkeys(self.slots)
        elif kind == "followup":
            self.followup_action = event.get("name")

    def state(self) -> dict[str, Any]:
        return {
            "sender_id": self.sender_id,
            "slots": dict(self.slots),
            "latest_message": self.latest_message,
            "latest_event_time": self.events[-1]["timestamp"] if self.events else None,
            "followup_action": self.followup_action,
            "paused": self.paused,
            "events": list(self.events),
            "latest_input_channel": self.latest_input_channel,
            "active_loop": {},
            "latest_action": {"action_name": self.latest_action_name} if self.latest_action_name else {},
            "latest_action_name": self.latest_action_name,
        }


def parse(text: str) -> tuple[str, float, list[dict[str, Any]]]:
    """Intent, confidence and entities of a line: ``/intent{json}`` skips NLU, else keyword overlap."""
    if text.startswith("/"):
        name, _, raw = text[1:].partition("{")
        entities: list[dict[str, Any]] = []
        if raw:
            try:
                values = json.loads("{" + raw)
                entities = [{"entity": k, "value": v} for k, v in values.items()]
            except (ValueError, AttributeError):
                pass
        return name.strip(), 1.0, entities
    words = set(_WORD.findall(text.lower()))
    best, score = "nlu_fallback", 0.0
    for intent, examples in NLU_EXAMPLES.items():
        for example in examples:
            wanted = set(_WORD.findall(example.lower()))
            overlap = len(words & wanted) / len(wanted) if wanted else 0.0
            if overlap > score:
                best, score = intent, overlap
    if score < NLU_THRESHOLD:
        return "nlu_fallback", 1.0 - score, []
    return best, round(0.5 + score / 2, 4), []


def render(template: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A domain response with ``{name}`` filled from ``values`` (Rasa's NLG: slots, then the action's kwargs)."""
    text = template.get("text")
    if isinstance(text, str):
        text = re.sub(r"\{(\w+)\}", lambda m: str(values[m[1]]) if m[1] in values else m[0], text)
    return {**template, "text": text}


def rendered(response: dict[str, Any], slots: dict[str, Any]) -> dict[str, Any]:
    """An action's response as Rasa's ``_utter_responses`` shapes it: a ``response`` name becomes the domain's
    text (filled from slots and the response's extra keys), the response's non-empty keys win."""
    name = response.get("response")
    if not name or name not in RESPONSES:
        return response
    extra = {k: v for k, v in response.items() if k not in ("response", "template") and v}
    return {**render(RESPONSES[name][0], {**slots, **extra}), **extra}


class RasaStandIn:
    """The app and its state. ``token=None`` leaves the HTTP API open (``rasa run`` without --auth-token)."""

    def __init__(self, action_server_url: str, *, token: str | None = "standin-token") -> None:
        self.action_endpoint = action_server_url.rstrip("/") + "/webhook"
        self.token = token
        self.trackers: dict[str, Tracker] = {}
        self.requests: list[RecordedRequest] = []
        self.action_calls: list[dict[str, Any]] = []  # bodies sent to the action server
        self.fail_events: list[int] = []
        self.webhook_delay_s = 0.0  # how long the REST channel takes to answer (Rasa can take seconds)
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/", self._hello)
        app.router.add_get("/webhooks/rest/", self._rest_status)
        app.router.add_post("/webhooks/rest/webhook", self._webhook)
        app.router.add_post("/conversations/{id}/tracker/events", self._append_events)
        app.router.add_post("/conversations/{id}/trigger_intent", self._trigger_intent)
        app.router.add_get("/conversations/{id}/tracker", self._get_tracker)
        app.router.add_get("/status", self._status)
        app.cleanup_ctx.append(self._client)
        return app

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == path]

    async def _client(self, app: web.Application) -> AsyncIterator[None]:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30))
        yield
        await self._session.close()

    # --- handlers ------------------------------------------------------------------------------------------

    async def _hello(self, request: web.Request) -> web.Response:
        return web.Response(text=f"Hello from Rasa: {RASA_VERSION}")

    async def _rest_status(self, request: web.Request) -> web.Response:
        return rasa_json({"status": "ok"})

    async def _webhook(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        await asyncio.sleep(self.webhook_delay_s)
        if not isinstance(body, dict):
            return web.Response(status=400, text=BAD_JSON_BODY, content_type="application/json")
        sender = str(body["sender"]) if body.get("sender") is not None else "default"
        text = str(body.get("message") or "").strip()
        metadata = body.get("metadata") or {}
        tracker = self._tracker(sender)
        intent, confidence, entities = parse(text)
        tracker.add(
            {
                "event": "user",
                "text": text,
                "parse_data": {
                    "text": text,
                    "intent": {"name": intent, "confidence": confidence},
                    "entities": entities,
                    "intent_ranking": [{"name": intent, "confidence": confidence}],
                    "message_id": uuid.uuid4().hex,
                    "metadata": metadata,
                },
                "input_channel": body.get("input_channel") or "rest",
                "message_id": uuid.uuid4().hex,
                "metadata": {**metadata, "model_id": "standin", "assistant_id": "escalation-gateway-demo"},
            }
        )
        if tracker.paused:  # logged, but no action runs (specs/rasa.md section 2)
            return rasa_json([])
        return rasa_json(await self._predict(tracker, intent))

    async def _status(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (denied := self._check_token(request)) is not None:
            return denied
        return rasa_json(
            {"model_file": "standin.tar.gz", "model_id": "standin", "num_active_training_jobs": 0}
        )

    async def _append_events(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if (denied := self._check_token(request)) is not None:
            return denied
        if self.fail_events:
            status = self.fail_events.pop(0)
            return rasa_error(status, "ServerError", "stand-in fault")
        if body is NOT_JSON:
            return web.Response(status=400, text=BAD_JSON_BODY, content_type="application/json")
        events = body if isinstance(body, list) else [body]
        for event in events:
            if not (isinstance(event, dict) and event.get("event") in EVENT_TYPES):
                return rasa_error(
                    400,
                    "BadRequest",
                    "Failed to validate the events format. For more information about the format visit "
                    f"the docs. Error: {json.dumps(event)} is not valid under any of the given schemas",
                    help_url=f"{DOCS}/pages/http-api",
                )
        tracker = self._tracker(request.match_info["id"])
        for event in events:
            tracker.add(event)
        return rasa_json(tracker.state())

    async def _trigger_intent(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if (denied := self._check_token(request)) is not None:
            return denied
        if not isinstance(body, dict):
            return web.Response(status=400, text=BAD_JSON_BODY, content_type="application/json")
        name = body.get("name")
        if not name:
            return rasa_error(400, "BadRequest", "Name of the intent not provided in request body.")
        tracker = self._tracker(request.match_info["id"])
        if name not in INTENTS:
            # Rasa 3.6.21 formats the handler function into this message, not the intent name.
            return rasa_error(
                404,
                "NotFound",
                "The intent <function create_app.<locals>.trigger_intent at 0x7f0000000000> "
                "does not exist in the domain.",
            )
        raw = body.get("entities") or []
        entities = [{"entity": k, "value": v} for k, v in raw.items()] if isinstance(raw, dict) else raw
        tracker.add(
            {
                "event": "user",
                "text": f"EXTERNAL: {name}",
                "parse_data": {
                    "intent": {"name": name},
                    "entities": entities,
                    "text": f"EXTERNAL: {name}",
                    "message_id": None,
                    "metadata": {"is_external": True},
                },
                "input_channel": tracker.latest_input_channel,
                "message_id": None,
                "metadata": {"is_external": True},
            }
        )
        messages = [] if tracker.paused else await self._predict(tracker, name)
        return rasa_json({"tracker": tracker.state(), "messages": messages})

    async def _get_tracker(self, request: web.Request) -> web.Response:
        await self._record(request)
        if (denied := self._check_token(request)) is not None:
            return denied
        return rasa_json(self._tracker(request.match_info["id"]).state())

    # --- internals -----------------------------------------------------------------------------------------

    async def _record(self, request: web.Request) -> Any:
        raw = await request.text()
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = raw
        self.requests.append(RecordedRequest(request.method, request.path, dict(request.query), body))
        return NOT_JSON if raw and body is raw else body

    def _check_token(self, request: web.Request) -> web.Response | None:
        if self.token is None or request.query.get("token") == self.token:
            return None
        return rasa_error(
            401,
            "NotAuthenticated",
            "User is not authenticated.",
            help_url=f"{DOCS}/user-guide/configuring-http-api/#security-considerations",
        )

    def _tracker(self, sender: str) -> Tracker:
        if sender not in self.trackers:  # a new conversation starts a session (action_session_start)
            tracker = Tracker(sender)
            tracker.add({"event": "action", "name": "action_session_start", "confidence": 1.0})
            tracker.add({"event": "session_started"})
            tracker.add({"event": "action", "name": "action_listen"})
            self.trackers[sender] = tracker
        return self.trackers[sender]

    async def _predict(self, tracker: Tracker, intent: str) -> list[dict[str, Any]]:
        """Run the rule's action (or the core fallback), then listen unless the action paused."""
        action = RULES.get(intent, CORE_FALLBACK)
        items = await self._run_action(tracker, action)
        available = tracker.slots.get("agents_available")
        if action == "action_check_agent_availability" and isinstance(available, bool):
            # The two rules that branch on its slot (none applies when the action failed and set nothing).
            then = "action_handoff_to_agent" if available else "utter_agents_unavailable"
            items += await self._run_action(tracker, then)
        if not tracker.paused:
            tracker.add({"event": "action", "name": "action_listen"})
        return items

    async def _run_action(self, tracker: Tracker, action: str) -> list[dict[str, Any]]:
        sender = tracker.sender_id
        if action in RESPONSES:
            tracker.add({"event": "action", "name": action, "policy": "RulePolicy", "confidence": 1.0})
            items = to_rest_messages(sender, [render(RESPONSES[action][0], tracker.slots)])
            for item in items:
                tracker.add(
                    {"event": "bot", "text": item.get("text"), "data": {"buttons": item.get("buttons")}}
                )
            return items
        call = {
            "next_action": action,
            "sender_id": sender,
            "tracker": tracker.state(),
            "domain": DOMAIN,
            "version": RASA_VERSION,
        }
        self.action_calls.append(call)
        assert self._session is not None
        try:
            async with self._session.post(self.action_endpoint, json=call) as resp:
                reply = await resp.json() if resp.status == 200 else None
        except (aiohttp.ClientError, TimeoutError, ValueError):
            reply = None
        tracker.add({"event": "action", "name": action, "policy": "RulePolicy", "confidence": 1.0})
        if not isinstance(reply, dict):
            # "Bot will continue, but the actions events are lost": 200 [] (specs/rasa.md section 1)
            return []
        responses = [rendered(r, tracker.slots) for r in reply.get("responses") or []]
        items = to_rest_messages(sender, responses)
        for item in items:  # Rasa logs the utterances before the events the action returned
            tracker.add({"event": "bot", "text": item.get("text"), "data": {"custom": item.get("custom")}})
        for event in reply.get("events") or []:
            if isinstance(event, dict) and event.get("event") in EVENT_TYPES:
                tracker.add(event)
        return items
