"""What both 8x8 APIs do the same way, written once.

- ``receiver``: the webhook receive path (body limit, delivery headers, tenant, transmission-time window,
  signature, event-id record, problem answers); each API supplies only its event translation.
- ``signature``: RS256 detached JWS over the CRC-32 payload, public keys fetched by kid (rate-limited,
  expiring).
- ``http``: one HTTP call (timeout, which failures are retried, error mapping, the uncertain outcome).
- ``uncertain``: after a call whose outcome is uncertain, finding out whether 8x8 acted before trying again.
- ``setup``: find-or-create by name of the webhook (never another API's or an older version's) and channels.
- ``errors``, ``ids``, ``text``: typed errors, the stored id of each API's conversations, text limits.

``chat_api/`` and ``chat_gateway/`` keep their models, request bodies and event translation; neither imports
the other.
"""
