"""The Lua scripts of the Redis store: each runs as one atomic step on the server.

Every script's keys share one hash slot (see `keys.py`), so they run on Redis Cluster too;
the one exception, the meter index sweep, reads the sets of many slots on one node. The same
steps are written in Python for SQLite (`sqlite_usage.py`, `sqlite_coordination.py`).
"""

from __future__ import annotations

# KEYS[1] counter, KEYS[2] the counter's applied op ids, KEYS[3] (optional) entity record;
# ARGV amount, limit (-1: no cap), ttl, op id, expected record token. Returns
# {accepted (1/0), used}, {2, total} for an op id already applied, or
# {-1, customer, subscription} when the record no longer matches the token.
CONSUME = """
local done = redis.call('HGET', KEYS[2], ARGV[4])
if done then
  return {2, tonumber(done)}
end
if ARGV[5] ~= '' then
  local current = redis.call('HMGET', KEYS[3], 'customer', 'subscription')
  local customer = current[1] or ''
  local subscription = current[2] or ''
  if customer .. '\\0' .. subscription ~= ARGV[5] then
    return {-1, customer, subscription}
  end
end
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
local amount = tonumber(ARGV[1])
local limit = tonumber(ARGV[2])
if limit >= 0 and used + amount > limit then
  return {0, used}
end
used = redis.call('INCRBY', KEYS[1], amount)
redis.call('HSET', KEYS[2], ARGV[4], used)
if used == amount then
  -- this call created the counter (amounts are positive): both keys start their lifetime
  redis.call('EXPIRE', KEYS[1], ARGV[3])
  redis.call('EXPIRE', KEYS[2], ARGV[3])
end
if ARGV[6] ~= '' then
  redis.call('HINCRBY', KEYS[4], 'pending:' .. ARGV[6], amount)
  redis.call('HINCRBY', KEYS[4], 'consumed:' .. ARGV[6], amount)
  redis.call('SADD', KEYS[5], ARGV[7])
end
return {1, used}
"""

# KEYS[1] the entity's meter outbox, KEYS[2] the outbox set; ARGV owner, lease (ms), entity,
# a nonce for new batches. Returns {meter, seq, value, timestamp, nonce} per batch leased to
# the owner (see Store). A batch is `seq|value|ts|owner|lease|nonce` (no `|nonce` when made
# before nonces existed).
TAKE_BATCHES = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local fields = redis.call('HGETALL', KEYS[1])
local meters, order = {}, {}
for i = 1, #fields, 2 do
  local f, v = fields[i], fields[i + 1]
  local m = nil
  if string.sub(f, 1, 6) == 'batch:' then m = string.sub(f, 7) end
  if string.sub(f, 1, 8) == 'pending:' and tonumber(v) > 0 then m = string.sub(f, 9) end
  if m and not meters[m] then meters[m] = true; table.insert(order, m) end
end
table.sort(order)
local out = {}
for _, m in ipairs(order) do
  local b = redis.call('HGET', KEYS[1], 'batch:' .. m)
  if b then
    local seq, value, ts, owner, lease, nonce =
      string.match(b, '^(%d+)|(%d+)|(%d+)|([^|]*)|(%d+)|?([^|]*)$')
    if owner == ARGV[1] or tonumber(lease) <= now then
      local row = {seq, value, ts, ARGV[1], now + tonumber(ARGV[2])}
      if nonce ~= '' then table.insert(row, nonce) end
      redis.call('HSET', KEYS[1], 'batch:' .. m, table.concat(row, '|'))
      table.insert(out, {m, seq, value, ts, nonce})
    end
  else
    local pending = redis.call('HGET', KEYS[1], 'pending:' .. m)
    local seq = redis.call('HINCRBY', KEYS[1], 'seq:' .. m, 1)
    local ts = math.floor(now / 1000)
    redis.call('HSET', KEYS[1], 'batch:' .. m,
      table.concat({seq, pending, ts, ARGV[1], now + tonumber(ARGV[2]), ARGV[4]}, '|'))
    redis.call('HSET', KEYS[1], 'pending:' .. m, 0)
    table.insert(out, {m, tostring(seq), pending, tostring(ts), ARGV[4]})
  end
end
if #order == 0 then redis.call('SREM', KEYS[2], ARGV[3]) end
return out
"""

# KEYS[1] the entity's meter outbox, KEYS[2] the outbox set; ARGV meter, seq, entity.
FINISH_BATCH = """
local b = redis.call('HGET', KEYS[1], 'batch:' .. ARGV[1])
if b then
  local seq, value = string.match(b, '^(%d+)|(%d+)|')
  if seq == ARGV[2] then
    redis.call('HDEL', KEYS[1], 'batch:' .. ARGV[1])
    redis.call('HINCRBY', KEYS[1], 'flushed:' .. ARGV[1], value)
  end
end
local fields = redis.call('HGETALL', KEYS[1])
for i = 1, #fields, 2 do
  local f = fields[i]
  if string.sub(f, 1, 6) == 'batch:' then return 0 end
  if string.sub(f, 1, 8) == 'pending:' and tonumber(fields[i + 1]) > 0 then return 0 end
end
redis.call('SREM', KEYS[2], ARGV[3])
return 1
"""

# No KEYS; ARGV[1] and ARGV[2] what comes before and after the hash tag in a meter index
# set's name, the rest the tags of the sets to read on one node (`keys.meter_index_key`).
# Returns the members of every one that is not empty, in one round trip per node. A cluster
# runs it with the `allow-cross-slot-keys` flag (Redis 7) on the node serving those slots
# (SUNION, which one server uses instead, refuses keys of several slots there); keys of a
# slot that moved away meanwhile are skipped (the next pass asks their new node).
SWEEP_METER_INDEX = """
local out = {}
for i = 3, #ARGV do
  local got = redis.pcall('SMEMBERS', ARGV[1] .. ARGV[i] .. ARGV[2])
  if type(got) == 'table' and got.err == nil then
    for _, entity in ipairs(got) do table.insert(out, entity) end
  end
end
return out
"""
SWEEP_METER_INDEX_CLUSTER = "#!lua flags=allow-cross-slot-keys,no-writes\n" + SWEEP_METER_INDEX

# KEYS[1] claim; ARGV token. Deletes only a claim this token still holds.
RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""

# KEYS[1] limiter; ARGV interval (us), burst. GCRA with reservation, on Redis's own clock
# so workers on several machines agree: the caller gets the next free slot and the
# microseconds until it (0: now). The key expires once no slot is reserved.
ACQUIRE_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = interval * (tonumber(ARGV[2]) - 1)
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < now then tat = now end
local wait = tat - tolerance - now
if wait < 0 then wait = 0 end
local next_tat = tat + interval
local ttl = math.floor((next_tat - now) / 1000) + 1000
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX', ttl)
return math.floor(wait)
"""

# The queue: KEYS[1] due times (sorted set, ms), KEYS[2] item -> version (hash), KEYS[3]
# version counter, KEYS[4] item -> lease end (ms) of a taken item. One hash slot per queue
# (keys.queue_keys). An item queued again while taken and leased gets a new version but stays
# hidden, so no two workers do one item at once; the first worker's FINISH then makes it due.
ENQUEUE = """
local version = redis.call('INCR', KEYS[3])
local lease = tonumber(redis.call('HGET', KEYS[4], ARGV[2]) or '0')
if lease > tonumber(ARGV[1]) and redis.call('ZSCORE', KEYS[1], ARGV[2]) then
  redis.call('HSET', KEYS[2], ARGV[2], version)
  return 0
end
redis.call('ZADD', KEYS[1], 'LT', ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[2], version)
return 1
"""

TAKE = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, 1)
if #due == 0 then
  return false
end
redis.call('ZADD', KEYS[1], ARGV[2], due[1])
redis.call('HSET', KEYS[4], due[1], ARGV[2])
return {due[1], redis.call('HGET', KEYS[2], due[1]) or '0'}
"""

FINISH = """
redis.call('HDEL', KEYS[4], ARGV[1])
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then
  redis.call('ZADD', KEYS[1], 'XX', 0, ARGV[1])
  return 0
end
if ARGV[3] == '' then
  redis.call('ZREM', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], ARGV[1])
else
  redis.call('ZADD', KEYS[1], ARGV[3], ARGV[1])
end
return 1
"""
