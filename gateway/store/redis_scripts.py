"""The Lua scripts of the Redis store. Each runs atomically inside Redis (no other command interleaves).

A script is not rolled back when it fails half-way, so each checks everything first and writes after.
Keys are built from the prefix (``ARGV[1]``) inside the scripts, so the store needs one Redis (or a
primary with replicas), not Redis Cluster. Numbers that must keep their precision travel as strings.
"""

from __future__ import annotations

_OUTBOX_INDEX = """
-- a conversation's place in outbox_conversations: its first undelivered item's order, or none
local function index_outbox(p, id, ok)
  local first = redis.call('ZRANGE', ok, 0, 0, 'WITHSCORES')
  if first[1] then
    redis.call('ZADD', p .. 'outbox_conversations', first[2], id)
  else
    redis.call('ZREM', p .. 'outbox_conversations', id)
  end
end
"""
"""Shared by the scripts that change an outbox (prepended to each)."""

COMMIT = (
    _OUTBOX_INDEX
    + """
local p = ARGV[1]
local c = cjson.decode(ARGV[2])
local id = c.id
local ck = p .. 'conv:' .. id
local ek = p .. 'entries:' .. id
local clk = p .. 'client_ids:' .. id
local ok = p .. 'outbox:' .. id
local items = p .. 'outbox_items'
local old_state = false
local old_cc = ''
if c.expected < 0 then
  -- create: the conversation and its session must be new (a retried create of the same data is fine)
  if redis.call('EXISTS', ck) == 1 then
    if redis.call('HGET', ck, 'change') == c.change then return 'same' end
    return 'exists'
  end
  if redis.call('EXISTS', p .. 'session:' .. c.token) == 1 then return 'token_taken' end
else
  local cur = redis.call('HMGET', ck, 'version', 'state', 'cc', 'change')
  if not cur[1] then return 'stale' end
  if tonumber(cur[1]) ~= c.expected then
    -- a retry of a change that was applied but whose answer was lost: applied once, say so again
    if cur[4] == c.change then return 'same' end
    return 'stale'
  end
  old_state = cur[2]
  old_cc = cur[3] or ''
end
if c.cc ~= '' and c.cc ~= old_cc then
  local owner = redis.call('GET', p .. 'cc:' .. c.cc)
  if owner and owner ~= id then return 'cc_taken' end
end
local seen = {}
for _, e in ipairs(c.entries) do
  local s = 's' .. e[1]
  if seen[s] or redis.call('ZCOUNT', ek, e[1], e[1]) > 0 then return 'duplicate_seq' end
  seen[s] = true
  if e[2] ~= '' then
    local k = 'c' .. e[2]
    if seen[k] or redis.call('HEXISTS', clk, e[2]) == 1 then return 'duplicate_client_id' end
    seen[k] = true
  end
end
for _, o in ipairs(c.outbox_add) do
  local k = 'o' .. o[1]
  if seen[k] or redis.call('HEXISTS', items, o[1]) == 1 then return 'duplicate_outbox_key' end
  seen[k] = true
end
if c.inbound_add and redis.call('EXISTS', p .. 'inbound:' .. c.inbound_add[1]) == 1 then
  return 'duplicate_event'
end
for _, ev in ipairs(c.inbound_done) do
  -- fencing: an event another instance applied already must not be applied again
  local ik = p .. 'inbound:' .. ev
  if redis.call('EXISTS', ik) == 1 and redis.call('HEXISTS', ik, 'data') == 0 then return 'stale' end
end

if c.expected < 0 or c.version ~= c.expected then
  -- (a change that keeps the version only settles outbox items and events: the conversation stays)
  redis.call('HSET', ck, 'version', c.version, 'state', c.state, 'cc', c.cc, 'active_at', c.active_at,
             'data', c.data, 'change', c.change)
  if old_state and old_state ~= c.state then redis.call('ZREM', p .. 'state:' .. old_state, id) end
  redis.call('ZADD', p .. 'state:' .. c.state, c.active_at, id)
  if c.cc ~= '' and c.cc ~= old_cc then redis.call('SET', p .. 'cc:' .. c.cc, id) end  -- (once per id)
end
if c.expected < 0 then redis.call('SET', p .. 'session:' .. c.token, id) end
for _, e in ipairs(c.entries) do
  redis.call('ZADD', ek, e[1], e[3])
  if e[2] ~= '' then redis.call('HSET', clk, e[2], e[1]) end
end
if c.drop_outbox then
  for _, k in ipairs(redis.call('ZRANGE', ok, 0, -1)) do redis.call('HDEL', items, k) end
  redis.call('DEL', ok)
else
  for _, k in ipairs(c.outbox_done) do
    if redis.call('ZREM', ok, k) == 1 then redis.call('HDEL', items, k) end
  end
end
for _, o in ipairs(c.outbox_add) do
  redis.call('ZADD', ok, redis.call('INCR', p .. 'outbox_next'), o[1])
  redis.call('HSET', items, o[1], o[2])
end
if c.drop_outbox or #c.outbox_done > 0 or #c.outbox_add > 0 then
  -- (an outbox left as it was keeps its place in outbox_conversations)
  index_outbox(p, id, ok)
end
for _, ev in ipairs(c.inbound_done) do
  local ik = p .. 'inbound:' .. ev
  local cc = redis.call('HGET', ik, 'cc')
  if cc then
    redis.call('ZREM', p .. 'inbound_pending', ev)
    redis.call('ZREM', p .. 'inbound_pending:' .. cc, ev)
    redis.call('HDEL', ik, 'data')
    redis.call('EXPIRE', ik, c.ttl)
  end
end
if c.inbound_add then
  -- stored and applied at once: kept (without its data) only to refuse a repeat
  local ik = p .. 'inbound:' .. c.inbound_add[1]
  redis.call('HSET', ik, 'cc', c.inbound_add[2], 'received_at', c.inbound_add[3])
  redis.call('EXPIRE', ik, c.ttl)
end
if c.pub[1] then
  -- the fan-out: the stored entries to the other instances' customer sockets (pub = channel, message
  -- head, this instance's presence channel); skipped when no other instance listens: the channel's
  -- listeners are then this instance alone (listening on its presence channel too) or nobody
  local n = redis.call('PUBSUB', 'NUMSUB', c.pub[1], c.pub[3])
  if n[2] > n[4] then
    local stored = {}
    for i, e in ipairs(c.entries) do stored[i] = e[3] end
    redis.call('PUBLISH', c.pub[1], c.pub[2] .. table.concat(stored, ',') .. ']}')
  end
end
return 'ok'
"""
)

RECORD_INBOUND = """
local p = ARGV[1]
local ik = p .. 'inbound:' .. ARGV[2]
if redis.call('EXISTS', ik) == 1 then return 0 end
redis.call('HSET', ik, 'cc', ARGV[3], 'received_at', ARGV[4], 'data', ARGV[5])
local n = redis.call('INCR', p .. 'inbound_next')
redis.call('ZADD', p .. 'inbound_pending', n, ARGV[2])
redis.call('ZADD', p .. 'inbound_pending:' .. ARGV[3], n, ARGV[2])
return 1
"""

PUT_ATTACHMENT = """
local ak = ARGV[1] .. 'attachment:' .. ARGV[2]
if redis.call('EXISTS', ak) == 0 then
  redis.call('HSET', ak, 'conversation_id', ARGV[3], 'created_at', ARGV[4], 'meta', ARGV[5])
end
-- storing the same key again only fills in bytes that were missing (a proxied file cached)
if ARGV[6] == '1' and redis.call('HEXISTS', ak, 'data') == 0 then
  redis.call('HSET', ak, 'data', ARGV[7])
end
return 1
"""

OUTBOX_DELIVERED = (
    _OUTBOX_INDEX
    + """
-- delivered items out of a conversation's outbox (ARGV[3..]); keys no longer there are no error
local p = ARGV[1]
local id = ARGV[2]
local ok = p .. 'outbox:' .. id
local items = p .. 'outbox_items'
for i = 3, #ARGV do
  if redis.call('ZREM', ok, ARGV[i]) == 1 then redis.call('HDEL', items, ARGV[i]) end
end
index_outbox(p, id, ok)
return 'ok'
"""
)

READ_OUTBOX = """
-- a conversation's undelivered items, in order, in one round trip
local items = ARGV[1] .. 'outbox_items'
local found = {}
for i, k in ipairs(redis.call('ZRANGE', ARGV[1] .. 'outbox:' .. ARGV[2], 0, -1)) do
  found[i] = redis.call('HGET', items, k)
end
return found
"""

RENEW_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""

RELEASE_LEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""
