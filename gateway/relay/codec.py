"""JSON-ready dicts for the domain objects, shared by every store so they persist the same shape."""

from __future__ import annotations

from json.encoder import encode_basestring
from typing import Any, assert_never

from gateway.relay.events import AgentJoined, AgentLeft, AgentRead, AgentSaid, CcEvent, Queued, Transferred
from gateway.relay.model import (
    AgentRef,
    AttachedFile,
    Author,
    BotWindow,
    Button,
    Card,
    CardAction,
    CardFact,
    CcConversationId,
    Conversation,
    ConversationId,
    Customer,
    Entry,
    EntryKind,
    Escalation,
    Handoff,
    LeaveItem,
    MessageEntry,
    OpenItem,
    OutboxItem,
    OutboxKind,
    Outcome,
    PostItem,
    QueueRef,
    State,
    StateEntry,
)

Json = dict[str, Any]


def plain_line_tail(e: MessageEntry) -> str:
    """The members that end a plain line's JSON, as the stores and the customer's frames both write it by
    hand: ``,"client_id":...`` and ``,"agent":{"id":...,"name":...}``, each where set."""
    out = "" if e.client_id is None else f',"client_id":{encode_basestring(e.client_id)}'
    if e.agent is not None:
        out += f',"agent":{{"id":{encode_basestring(e.agent.id)},"name":{encode_basestring(e.agent.name)}}}'
    return out


def _drop_none(d: Json) -> Json:
    return {k: v for k, v in d.items() if v is not None}


def customer_to_json(c: Customer) -> Json:
    return _drop_none(
        {"name": c.name, "email": c.email, "language": c.language, "extra": dict(c.extra) or None}
    )


def customer_from_json(d: Json) -> Customer:
    return Customer(
        name=d.get("name"), email=d.get("email"), language=d.get("language"), extra=d.get("extra", {})
    )


def agent_to_json(a: AgentRef | None) -> Json | None:
    return None if a is None else {"id": a.id, "name": a.name}


def agent_from_json(d: Json | None) -> AgentRef | None:
    return None if d is None else AgentRef(id=d["id"], name=d["name"])


def queue_to_json(q: QueueRef | None) -> Json | None:
    if q is None:
        return None
    return {"id": q.id} if q.name is None else {"id": q.id, "name": q.name}


def queue_from_json(d: Json | None) -> QueueRef | None:
    return None if d is None else QueueRef(id=d["id"], name=d.get("name"))


def attachment_to_json(a: AttachedFile) -> Json:
    return _drop_none(
        {
            "key": a.key,
            "name": a.name,
            "content_type": a.content_type,
            "size": a.size,
            "remote_id": a.remote_id,
            "remote_url": a.remote_url,
        }
    )


def attachment_from_json(d: Json) -> AttachedFile:
    return AttachedFile(
        key=d["key"],
        name=d["name"],
        content_type=d["content_type"],
        size=d.get("size"),
        remote_id=d.get("remote_id"),
        remote_url=d.get("remote_url"),
    )


def _attachments_to_json(items: tuple[AttachedFile, ...]) -> list[Json] | None:
    return [attachment_to_json(a) for a in items] or None


def _attachments_from_json(d: Json) -> tuple[AttachedFile, ...]:
    return tuple(map(attachment_from_json, d["attachments"])) if "attachments" in d else ()


def _buttons_to_json(buttons: tuple[Button, ...]) -> list[Json] | None:
    return [{"title": b.title, "payload": b.payload} for b in buttons] or None


def _buttons_from_json(d: Json) -> tuple[Button, ...]:
    return tuple(Button(b["title"], b["payload"]) for b in d.get("buttons", ()))


def card_to_json(c: Card | None) -> Json | None:
    if c is None:
        return None
    return _drop_none(
        {
            "kind": c.kind,
            "title": c.title,
            "body": list(c.body) or None,
            "facts": [{"title": f.title, "value": f.value} for f in c.facts] or None,
            "actions": [_drop_none({"title": a.title, "url": a.url}) for a in c.actions] or None,
        }
    )


def card_from_json(d: Json | None) -> Card | None:
    if d is None:
        return None
    return Card(
        kind=d["kind"],
        title=d.get("title"),
        body=tuple(d.get("body", ())),
        facts=tuple(CardFact(f["title"], f["value"]) for f in d.get("facts", ())),
        actions=tuple(CardAction(a["title"], a.get("url")) for a in d.get("actions", ())),
    )


def handoff_to_json(h: Handoff) -> Json:
    return _drop_none(
        {
            "reason": h.reason,
            "queue_id": h.queue_id,
            "customer": customer_to_json(h.customer),
            "context": dict(h.context),
        }
    )


def handoff_from_json(d: Json) -> Handoff:
    return Handoff(
        reason=d["reason"],
        queue_id=d.get("queue_id"),
        customer=customer_from_json(d.get("customer", {})),
        context=d.get("context", {}),
    )


def escalation_to_json(e: Escalation | None) -> Json | None:
    if e is None:
        return None
    return _drop_none(
        {
            "id": e.id,
            "handoff": handoff_to_json(e.handoff),
            "started_at": e.started_at,
            "handoff_seq": e.handoff_seq,
            "agent": agent_to_json(e.agent),
            "agent_joined_at": e.agent_joined_at,
            "outcome": e.outcome,
            "failure": e.failure,
            "queued_at": e.queued_at,
            "offered_at": e.offered_at,
            "overflowed_at": e.overflowed_at,
        }
    )


def escalation_from_json(d: Json | None) -> Escalation | None:
    if d is None:
        return None
    return Escalation(
        id=d["id"],
        handoff=handoff_from_json(d["handoff"]),
        started_at=d["started_at"],
        handoff_seq=d["handoff_seq"],
        agent=agent_from_json(d.get("agent")),
        agent_joined_at=d.get("agent_joined_at"),
        outcome=Outcome(d["outcome"]) if d.get("outcome") else None,
        failure=d.get("failure"),
        queued_at=d.get("queued_at"),
        offered_at=d.get("offered_at"),
        overflowed_at=d.get("overflowed_at"),
    )


def conversation_to_json(c: Conversation) -> Json:
    d: Json = {"id": c.id, "state": c.state, "customer": customer_to_json(c.customer)}
    between, after = conversation_fields(c)
    escalation = {} if c.escalation is None else {"escalation": escalation_to_json(c.escalation)}
    return d | between | escalation | after


def conversation_fields(c: Conversation) -> tuple[Json, Json]:
    """``conversation_to_json`` but for id, state, customer and escalation: the fields written between the
    customer and the escalation, and those after it (``sqlite/rows.py`` writes the same JSON by hand)."""
    between = _drop_none(
        {
            "created_at": c.created_at,
            "last_seq": c.last_seq,
            "active_at": c.active_at,
            "warned_at": c.warned_at,
            "version": c.version,
            "cc_conversation_id": c.cc_conversation_id,
            "cc_synced_seq": c.cc_synced_seq,
            "queue": queue_to_json(c.queue),
            "agent": agent_to_json(c.agent),
            "transferring": c.transferring or None,
        }
    )
    after: Json = {"agent_read_seq": c.agent_read_seq} if c.agent_read_seq else {}
    if (bot := c.cc_bot) is not None:
        after["cc_bot"] = {"ends_at": bot.ends_at, "quiet_s": bot.quiet_s, "last_at": bot.last_at}
    return between, after


def conversation_from_json(d: Json) -> Conversation:
    cc_id = d.get("cc_conversation_id")
    return Conversation(
        id=ConversationId(d["id"]),
        state=State(d["state"]),
        customer=customer_from_json(d.get("customer", {})),
        created_at=d["created_at"],
        last_seq=d["last_seq"],
        active_at=d.get("active_at", 0.0),
        warned_at=d.get("warned_at"),
        version=d["version"],
        cc_conversation_id=CcConversationId(cc_id) if cc_id else None,
        cc_synced_seq=d.get("cc_synced_seq", 0),
        queue=queue_from_json(d.get("queue")),
        agent=agent_from_json(d.get("agent")),
        transferring=bool(d.get("transferring")),
        escalation=escalation_from_json(d.get("escalation")),
        agent_read_seq=d.get("agent_read_seq", 0),
        cc_bot=BotWindow(**d["cc_bot"]) if d.get("cc_bot") else None,
    )


def entry_to_json(e: Entry) -> Json:
    """The shape every version wrote: ``kind`` plus the fields of that kind, keys in the same order."""
    if isinstance(e, StateEntry):
        head: Json = {"seq": e.seq, "kind": e.kind, "ts": e.ts, "agent": agent_to_json(e.agent)}
        return _drop_none({**head, "state": e.state, "queue": queue_to_json(e.queue), "outcome": e.outcome})
    return _drop_none(
        {
            "seq": e.seq,
            "kind": e.kind,
            "ts": e.ts,
            "author": e.author,
            "text": e.text,
            "client_id": e.client_id,
            "buttons": _buttons_to_json(e.buttons) if e.buttons else None,
            "image": e.image,
            "custom": e.custom,
            "attachments": _attachments_to_json(e.attachments) if e.attachments else None,
            "card": card_to_json(e.card) if e.card else None,
            "agent": agent_to_json(e.agent) if e.agent else None,
            "queue": queue_to_json(e.queue) if e.queue else None,
        }
    )


def entry_client_id(e: Entry) -> str | None:
    return e.client_id if isinstance(e, MessageEntry) else None  # the stores index a customer's lines by it


def entry_from_json(d: Json) -> Entry:
    agent, queue = agent_from_json(d.get("agent")), queue_from_json(d.get("queue"))
    if EntryKind(d["kind"]) is EntryKind.STATE:
        outcome = Outcome(d["outcome"]) if d.get("outcome") else None
        return StateEntry(d["seq"], d["ts"], State(d["state"]), queue=queue, outcome=outcome, agent=agent)
    return MessageEntry(
        d["seq"],
        d["ts"],
        Author(d["author"]),
        text=d.get("text"),
        client_id=d.get("client_id"),
        buttons=_buttons_from_json(d),
        image=d.get("image"),
        custom=d.get("custom"),
        attachments=_attachments_from_json(d),
        card=card_from_json(d.get("card")),
        agent=agent,
        queue=queue,
    )


def outbox_to_json(o: OutboxItem) -> Json:
    """The shape every version wrote: ``kind`` plus the fields of that kind (none of another kind's)."""
    common: Json = {"key": o.key, "conversation_id": o.conversation_id, "kind": o.kind, "seq": o.seq}
    match o:
        case OpenItem():
            fields: Json = {"escalation_id": o.escalation_id, "from_seq": o.from_seq}
        case PostItem():
            fields = {"text": o.text, "author": o.author, "attachments": _attachments_to_json(o.attachments)}
        case LeaveItem():
            fields = {}
        case _:
            assert_never(o)
    return _drop_none({**common, **fields, "created_at": o.created_at})


def outbox_from_json(d: Json) -> OutboxItem:
    """Reads what any version wrote; before items had a class per kind, every item carried ``from_seq``
    and each kind's optional fields, set or not."""
    head = (d["key"], ConversationId(d["conversation_id"]), d["seq"])
    created_at, kind = d.get("created_at", 0.0), d["kind"]
    if kind == OutboxKind.POST:
        author = Author(d["author"]) if d.get("author") else Author.CUSTOMER
        text, attachments = d.get("text") or "", _attachments_from_json(d)
        return PostItem(*head, text=text, author=author, attachments=attachments, created_at=created_at)
    if kind == OutboxKind.OPEN:
        escalation_id, from_seq = d.get("escalation_id") or "", d.get("from_seq", 0)
        return OpenItem(*head, escalation_id=escalation_id, from_seq=from_seq, created_at=created_at)
    if kind == OutboxKind.LEAVE:
        return LeaveItem(*head, created_at=created_at)
    raise ValueError(f"{kind!r} is not a valid OutboxKind")


def cc_event_to_json(ev: CcEvent) -> Json:
    match ev:
        case Queued(queue=q, at=at):
            return {"type": "queued", "queue": queue_to_json(q), "at": at}
        case AgentJoined(agent=a, at=at):
            return {"type": "agent_joined", "agent": agent_to_json(a), "at": at}
        case AgentSaid(agent=a, text=text, at=at, attachments=files, buttons=buttons, card=card):
            return _drop_none(
                {
                    "type": "agent_said",
                    "agent": agent_to_json(a),
                    "text": text,
                    "at": at,
                    "attachments": _attachments_to_json(files),
                    "buttons": _buttons_to_json(buttons),
                    "card": card_to_json(card),
                }
            )
        case AgentRead(read_at=read_at, at=at):
            return {"type": "agent_read", "read_at": read_at, "at": at}
        case Transferred(at=at):
            return {"type": "transferred", "at": at}
        case AgentLeft(agent=a, at=at, bot_continues=bot):
            out: Json = {"type": "agent_left", "agent": agent_to_json(a), "at": at}
            if bot is not None:
                out["bot_continues"] = list(bot)
            return out


def cc_event_from_json(d: Json) -> CcEvent:
    at = d["at"]
    match d["type"]:
        case "queued":
            queue = queue_from_json(d["queue"])
            assert queue is not None
            return Queued(queue=queue, at=at)
        case "agent_joined":
            agent = agent_from_json(d["agent"])
            assert agent is not None
            return AgentJoined(agent=agent, at=at)
        case "agent_said":
            agent = agent_from_json(d["agent"])
            assert agent is not None
            return AgentSaid(
                agent=agent,
                text=d["text"],
                at=at,
                attachments=_attachments_from_json(d),
                buttons=_buttons_from_json(d),
                card=card_from_json(d.get("card")),
            )
        case "agent_read":
            return AgentRead(read_at=d["read_at"], at=at)
        case "transferred":
            return Transferred(at=at)
        case "agent_left":
            bot = d.get("bot_continues")
            return AgentLeft(
                agent=agent_from_json(d.get("agent")),
                at=at,
                bot_continues=(float(bot[0]), float(bot[1])) if bot else None,
            )
    raise ValueError(f"unknown contact-center event type {d['type']!r}")
