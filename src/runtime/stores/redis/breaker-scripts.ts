/**
 * The breaker store's Lua: each step of a circuit runs atomically inside Redis, so the
 * instances of a fleet count into one window, open the circuit once and let exactly one
 * probe through. The algorithm is the memory store's.
 *
 * Keys of a group G (one hash tag, so one Redis Cluster slot):
 *   circuit  hash: state, openedAt, probe (the probe's id), probeUntil (its lease)
 *   slices   hash: "f<n>" / "s<n>" → failures / successes in the n-th tenth of a window
 */

/**
 * KEYS: circuit. ARGV: probe id, at, openMs, probeLeaseMs, ttlMs.
 * Answers {granted 0|1, from, state, openedAt}.
 */
export const TRY_PROBE = `
local c = redis.call('HMGET', KEYS[1], 'state', 'openedAt', 'probeUntil')
local state = c[1] or 'closed'
local openedAt = tonumber(c[2] or '0')
local at = tonumber(ARGV[2])
local due = (state == 'open' and at - openedAt >= tonumber(ARGV[3])) or (state == 'half-open' and at >= tonumber(c[3] or '0'))
if not due then return {0, state, state, openedAt} end
redis.call('HSET', KEYS[1], 'state', 'half-open', 'probe', ARGV[1], 'probeUntil', at + tonumber(ARGV[4]))
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return {1, state, 'half-open', openedAt}
`;

/**
 * KEYS: circuit, slices. ARGV: outcome (success|failure|unknown), at, probe id ("" for
 * none), failureRatio, minimumThroughput, windowMs, openMs, ttlMs.
 * Answers {from, state, openedAt}.
 */
export const RECORD = `
local circuit, slices = KEYS[1], KEYS[2]
local outcome, at, probe = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local ratio, minimum, windowMs, openMs, ttl = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[8]
local c = redis.call('HMGET', circuit, 'state', 'openedAt', 'probe')
local state = c[1] or 'closed'
local openedAt = tonumber(c[2] or '0')
local from = state
-- Only the circuit's own probe moves it; a probe whose lease ran out is an ordinary outcome.
local isProbe = probe ~= '' and state == 'half-open' and c[3] == probe
if isProbe then redis.call('HDEL', circuit, 'probe', 'probeUntil') end
if outcome == 'unknown' then
  if isProbe then state = 'open'; openedAt = at - openMs end
else
  local sliceMs = math.max(1, windowMs / 10)
  local prefix = outcome == 'failure' and 'f' or 's'
  redis.call('HINCRBY', slices, prefix .. string.format('%d', math.floor(at / sliceMs)), 1)
  redis.call('PEXPIRE', slices, ttl)
  if isProbe and outcome == 'success' then
    state = 'closed'
    redis.call('DEL', slices)
  elseif isProbe then
    state = 'open'; openedAt = at
  elseif state == 'closed' then
    local failures, total = 0, 0
    local all = redis.call('HGETALL', slices)
    for i = 1, #all, 2 do
      local field, n = all[i], tonumber(all[i + 1])
      local start = tonumber(string.sub(field, 2)) * sliceMs
      if start + sliceMs <= at - windowMs then
        redis.call('HDEL', slices, field)
      else
        total = total + n
        if string.sub(field, 1, 1) == 'f' then failures = failures + n end
      end
    end
    if total >= minimum and failures / total >= ratio then state = 'open'; openedAt = at end
  end
end
redis.call('HSET', circuit, 'state', state, 'openedAt', openedAt)
redis.call('PEXPIRE', circuit, ttl)
return {from, state, openedAt}
`;
