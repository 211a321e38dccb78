-- claim.lua: Store.Claim in one step.
--
-- KEYS[1] record key (a hash, see doc.go for its fields)
-- ARGV[1] fingerprint (32 raw bytes)
-- ARGV[2] owner token
-- ARGV[3] lease, ms
-- ARGV[4] ttl, ms
-- ARGV[5] "1" to take over an abandoned record, else "0"
-- ARGV[6] clock offset, ms (0 in production; tests move time with it)
-- ARGV[7] not after, ms by the server's own clock (without the offset): when
--         the caller stops waiting for this claim; 0 for none
--
-- Returns {outcome, version, took_over, retry_after_ms, status, response,
-- expires_in_ms, server_ms}: outcome 1 claimed, 2 replay, 3 busy, 4 not
-- replayable, 5 previously failed, 6 mismatch, 7 abandoned, 8 late (run
-- after not-after: nothing read, nothing written); response is the encoded
-- response (replay only) or nil, as one string or, when finish.lua stored it
-- in chunks, the array of its chunks in order; expires_in_ms is how long the record is
-- kept from now (replay only, else 0); server_ms is the server's own clock,
-- from which the store estimates it.
--
-- The response key, KEYS[1] .. ':b', where finish.lua keeps a large
-- response, is derived here, not declared, and touched only when field b
-- says it is there: declared, the key missing for almost every record would
-- make Redis Cluster answer TRYAGAIN to every claim in a slot being
-- migrated. It shares KEYS[1]'s hash tag, so its slot.
--
-- TIME is allowed in a script that writes because Redis replicates a
-- script's effects (the HSET and PEXPIREAT it made), not the script itself
-- (by default from Redis 5, the oldest the store runs on: see doc.go).
local key = KEYS[1]
local fp, owner = ARGV[1], ARGV[2]
local lease, ttl = tonumber(ARGV[3]), tonumber(ARGV[4])
local takeover = ARGV[5] == '1'
local offset = tonumber(ARGV[6])
local not_after = tonumber(ARGV[7])
local t = redis.call('TIME')
local server_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local now = server_ms + offset
local now_us = tonumber(t[1]) * 1000000 + tonumber(t[2]) + offset * 1000

-- A claim that runs after its caller gave up on it (it sat in a stalled
-- Redis's queue, say) must take nothing: the caller told its client "not
-- run, retry", and nobody would ever finish or renew it.
if not_after > 0 and server_ms > not_after then
  return {8, 0, 0, 0, 0, false, 0, server_ms}
end

local r = redis.call('HMGET', key, 's', 'f', 'o', 'v', 'l', 'e', 'c', 't', 'k', 'b')
local state, expires = tonumber(r[1]), tonumber(r[6])
local version = tonumber(r[4]) or 0

-- claim writes a fresh IN_PROGRESS record. The version is the clock in µs,
-- or one past the previous version when that is greater, so it grows with
-- every claim of the key (after release, expiry or takeover too) as long
-- as a trace of the previous record is left. The record outlives its
-- lease even when the lease is the longer: a record expiring under a live
-- lease would let another request claim and run beside the owner.
local function claim(took)
  local v = math.max(now_us, version + 1)
  local e = now + math.max(ttl, lease)
  -- HSET first, then drop the previous record's other fields: Redis checks
  -- maxmemory only at a script's first memory-adding write (DEL is not one),
  -- so with DEL first a Redis out of memory under noeviction would still
  -- take the claim (RELIABILITY.md D2). Written this way, an OOM Redis
  -- refuses the claim and the request gets 503, not a run.
  redis.call('HSET', key, 's', 1, 'f', fp, 'o', owner, 'v', v, 'l', now + lease, 'e', e, 't', took)
  if state ~= nil then
    -- A previous record (expired, released, abandoned) may have left its
    -- status, nonce and response (see finish.lua): they go. An absent
    -- key, the common case, writes nothing more.
    local drop = {'c', 'n', 'r', 'k', 'b'}
    for i = 1, (tonumber(r[9]) or 1) - 1 do
      drop[#drop + 1] = 'r' .. i
    end
    redis.call('HDEL', key, unpack(drop))
    if r[10] then
      redis.call('DEL', key .. ':b')
    end
  end
  redis.call('PEXPIREAT', key, e)
  return {1, v, took, 0, 0, false, 0, server_ms}
end

-- Absent, released (a tombstone), or past its logical expiry: the Redis
-- key's own TTL only collects garbage.
if state == 4 and expires > now and r[3] == owner then
  -- Its owner released this claim already: the client was told to retry,
  -- and this is the claim itself arriving late (delayed past its timeout).
  -- It must not take the key for an owner that is gone
  -- (RELIABILITY.md D3); go-redis only re-sends a claim before the
  -- middleware releases it, so a live owner never gets here.
  return {3, 0, 0, 0, 0, false, 0, server_ms}
end
if state == nil or state == 4 or expires <= now then
  return claim(0)
end
-- The fingerprint before anything else: another request never learns more.
if r[2] ~= fp then
  return {6, 0, 0, 0, 0, false, 0, server_ms}
end
if state == 1 then
  -- The same owner again is a retry of its own claim (a reply lost, the
  -- client retried): the same claim and version. Claimed tells the owner
  -- to go on working, so its lease is counted afresh here, even when it
  -- had passed: otherwise a takeover could let a second owner run beside
  -- it. The record outlives the lease, as in renew.lua.
  if r[3] == owner then
    local lease_until = now + lease
    redis.call('HSET', key, 'l', lease_until)
    if lease_until > expires then
      expires = lease_until
      redis.call('HSET', key, 'e', expires)
    end
    redis.call('PEXPIREAT', key, expires)
    return {1, version, tonumber(r[8]) or 0, 0, 0, false, 0, server_ms}
  end
  local lease_until = tonumber(r[5])
  if lease_until > now then
    return {3, 0, 0, lease_until - now, 0, false, 0, server_ms}
  end
  if not takeover then
    return {7, 0, 0, 0, 0, false, 0, server_ms}
  end
  return claim(1)
end
local status = tonumber(r[7])
if state == 2 then
  local resp
  local chunks = tonumber(r[9])
  if r[10] then
    resp = redis.call('GET', key .. ':b')
  elseif chunks then
    -- Stored in chunks (see finish.lua): the caller joins them.
    local names = {'r'}
    for i = 1, chunks - 1 do
      names[i + 1] = 'r' .. i
    end
    resp = redis.call('HMGET', key, unpack(names))
  else
    resp = redis.call('HGET', key, 'r')
  end
  if resp then
    return {2, 0, 0, 0, status, resp, expires - now, server_ms}
  end
  return {4, 0, 0, 0, status, false, 0, server_ms}
end
if state == 3 then
  return {5, 0, 0, 0, status, false, 0, server_ms}
end
return redis.error_reply('idem: record ' .. key .. ' has unknown state ' .. tostring(r[1]))
