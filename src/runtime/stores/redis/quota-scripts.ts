/**
 * The quota store's Lua: each runs atomically inside Redis, so an acquire is one round
 * trip that checks every quota and records the send, and no two instances can take the
 * same last slot. The algorithm is the memory store's (a sliding log per quota); keys of
 * one provider + client_id share a hash tag, so they live on one Redis Cluster slot.
 *
 * Keys of a quota key K (KEYS order is given per script):
 *   pause   string: epoch ms until which every send holds
 *   used    hash: quota name → units in the window
 *   log:N   sorted set per quota N: member "id|cost", score = epoch ms of the send
 */

/** Shared by the scripts: drops the sends that left the window; answers the units in use. */
const PRUNE = `
local function prune(log, used, name, cutoff)
  local gone = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  local freed = 0
  for _, member in ipairs(gone) do
    freed = freed + tonumber(string.match(member, '|([^|]+)$'))
  end
  if #gone > 0 then redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff) end
  if redis.call('ZCARD', log) == 0 then
    redis.call('HDEL', used, name)
    return 0
  end
  if freed > 0 then return tonumber(redis.call('HINCRBYFLOAT', used, name, -freed)) end
  return tonumber(redis.call('HGET', used, name) or '0')
end
`;

/**
 * KEYS: pause, used, log:N for each demand. ARGV: now, id, ttlMs, then per demand:
 * name, limit, windowMs, cost, reserve. Answers {1} granted, or {0, retryAt} ("inf" when
 * the cost can never fit).
 */
export const ACQUIRE = `${PRUNE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local ttl = tonumber(ARGV[3])
local retry = tonumber(redis.call('GET', KEYS[1]) or '0')
local count = #KEYS - 2
for i = 1, count do
  local b = 3 + (i - 1) * 5
  local name, limit, win, cost, reserve = ARGV[b + 1], tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
  local log = KEYS[2 + i]
  local used = prune(log, KEYS[2], name, now - win)
  local room = limit - reserve
  if used + cost > room then
    if cost > room then return {0, 'inf'} end
    local mustFree = used + cost - room
    local fit = nil
    local sends = redis.call('ZRANGE', log, 0, -1, 'WITHSCORES')
    for j = 1, #sends, 2 do
      mustFree = mustFree - tonumber(string.match(sends[j], '|([^|]+)$'))
      if mustFree <= 0 then fit = tonumber(sends[j + 1]) + win break end
    end
    if fit == nil then return {0, 'inf'} end
    if fit > retry then retry = fit end
  end
end
if retry > now then return {0, tostring(retry)} end
for i = 1, count do
  local b = 3 + (i - 1) * 5
  local cost = ARGV[b + 4]
  redis.call('ZADD', KEYS[2 + i], now, id .. '|' .. cost)
  redis.call('HINCRBYFLOAT', KEYS[2], ARGV[b + 1], cost)
  redis.call('PEXPIRE', KEYS[2 + i], ttl)
end
redis.call('PEXPIRE', KEYS[2], ttl)
return {1}
`;

/** KEYS: used, log:N per demand. ARGV: member per demand, then at. Moves a send later, never earlier. */
export const SETTLE = `
local at = tonumber(ARGV[#ARGV])
for i = 2, #KEYS do
  local score = redis.call('ZSCORE', KEYS[i], ARGV[i - 1])
  if score and tonumber(score) < at then redis.call('ZADD', KEYS[i], 'XX', at, ARGV[i - 1]) end
end
return 1
`;

/** KEYS: used, log:N per demand. ARGV: member per demand, then name per demand. Gives the units back. */
export const CANCEL = `
local count = #KEYS - 1
for i = 1, count do
  local member = ARGV[i]
  if redis.call('ZREM', KEYS[1 + i], member) == 1 then
    redis.call('HINCRBYFLOAT', KEYS[1], ARGV[count + i], -tonumber(string.match(member, '|([^|]+)$')))
  end
end
return 1
`;

/** KEYS: pause. ARGV: until. Never shortens a pause; the key leaves a second after it ends. */
export const PAUSE = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local untilMs = tonumber(ARGV[1])
if untilMs > current then redis.call('SET', KEYS[1], ARGV[1], 'PXAT', math.floor(untilMs) + 1000) end
return 1
`;

/**
 * KEYS: used, log:N. ARGV: now, name, limit, windowMs, remaining, resetAt ("" when not
 * said), id, ttlMs. Units the server counts beyond the log are held until its reset.
 */
export const OBSERVE = `${PRUNE}
local now, name, limit, win, remaining = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local used = prune(KEYS[2], KEYS[1], name, now - win)
local spent = limit - remaining - used
if spent <= 0 then return 0 end
local at = now
if ARGV[6] ~= '' then at = tonumber(ARGV[6]) - win end
redis.call('ZADD', KEYS[2], at, ARGV[7] .. '|' .. spent)
redis.call('HINCRBYFLOAT', KEYS[1], name, spent)
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8]))
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[8]))
return spent
`;
