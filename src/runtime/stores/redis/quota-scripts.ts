/**
 * The quota store's Lua: each runs atomically inside Redis, so an acquire is one round
 * trip that checks every quota and records the send, and no two instances can take the
 * same last slot. The algorithm is the memory store's (a sliding log per quota); keys of
 * one provider + client_id share a hash tag, so they live on one Redis Cluster slot.
 *
 * Keys of a quota key K (KEYS order is given per script):
 *   pause   string: epoch ms until which every send holds
 *   used    hash: quota name → units in the window
 *   pending set: members of sends still in flight (not settled)
 *   log:N   sorted set per quota N: member "id|cost", score = epoch ms of the send
 */

/** Shared by the scripts: drops the sends that left the window; answers the units in use. */
const PRUNE = `
local function prune(log, used, name, cutoff, pending)
  local gone = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  local freed = 0
  for _, member in ipairs(gone) do
    freed = freed + tonumber(string.match(member, '|([^|]+)$'))
    -- A send of an instance that died in flight is forgotten with its window.
    redis.call('SREM', pending, member)
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
 * KEYS: pause, used, pending, fair, log:N for each demand. ARGV: now, id, ttlMs, bookUntil
 * ("" for none), count, spare, tenant ("" for none), weight, the 1-based index of the demand
 * the tenants share, that of the tenant's own demand (0: none), then per demand: name, limit,
 * windowMs, cost, reserve. Answers {1, at, at2, …} granted (now, or booked for later; the
 * k-th extra send is "id+k"; a spare one only now and into windows at most half used), or
 * {0, retryAt} ("inf" when the cost can never fit). A time that depends on a send still in
 * flight (in `pending`: its response will move it later) is not booked. `fair` is a hash
 * per tenant: w:T its weight, s:T when it last asked, q:T since when a send of it waits
 * for room; while another tenant waits, a tenant past its weighted share of the shared
 * demand's limit (counted by its own demand) is refused (see fair-share.ts).
 */
export const ACQUIRE = `${PRUNE}
local now = tonumber(ARGV[1])
local id = ARGV[2]
local ttl = tonumber(ARGV[3])
local bookUntil = tonumber(ARGV[4])
local count = tonumber(ARGV[5])
local spare = tonumber(ARGV[6])
local tenant = ARGV[7]
local quotas = #KEYS - 4
local pausedUntil = tonumber(redis.call('GET', KEYS[1]) or '0')
local used = {}
for i = 1, quotas do
  local b = 10 + (i - 1) * 5
  used[i] = prune(KEYS[4 + i], KEYS[2], ARGV[b + 1], now - tonumber(ARGV[b + 3]), KEYS[3])
end
-- Past its share while another tenant waits: ask again in one slot's time.
local sharedAt = 10 + (tonumber(ARGV[9]) - 1) * 5
-- The tenant's own demand (0: none): its units, and the arguments that describe it.
local own = tonumber(ARGV[10])
local ownAt = 10 + (own - 1) * 5
if tenant ~= '' and quotas > 0 then
  local win = tonumber(ARGV[sharedAt + 3])
  redis.call('HSET', KEYS[4], 'w:' .. tenant, ARGV[8], 's:' .. tenant, now)
  local fair = redis.call('HGETALL', KEYS[4])
  local seen, weights, othersWait = {}, 0, false
  for j = 1, #fair, 2 do
    if string.sub(fair[j], 1, 2) == 's:' then seen[string.sub(fair[j], 3)] = tonumber(fair[j + 1]) end
  end
  for j = 1, #fair, 2 do
    local field, value = fair[j], fair[j + 1]
    local kind, who = string.sub(field, 1, 2), string.sub(field, 3)
    if seen[who] == nil or seen[who] <= now - win then
      redis.call('HDEL', KEYS[4], field)
    elseif kind == 'w:' then
      weights = weights + tonumber(value)
    elseif kind == 'q:' and who ~= tenant then
      othersWait = true
    end
  end
  redis.call('PEXPIRE', KEYS[4], ttl)
  if othersWait and weights > 0 then
    local limit = tonumber(ARGV[sharedAt + 2])
    local share = limit * tonumber(ARGV[8]) / weights
    if own > 0 and used[own] + tonumber(ARGV[ownAt + 4]) > share then
      return {0, string.format('%.3f', now + win / limit)}
    end
  end
end
-- The earliest time one more send fits every quota, and whether it may be booked.
-- Booked sends count as used (see the memory store): no window can overfill.
local function fit(isSpare)
  local fitAt = math.max(now, pausedUntil)
  local firm = true
  for i = 1, quotas do
    local b = 10 + (i - 1) * 5
    local limit, win, cost, reserve = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
    local log = KEYS[4 + i]
    local room = limit - reserve
    if isSpare and used[i] + cost > room / 2 then return nil end
    if used[i] + cost > room then
      if cost > room then return nil end
      local mustFree = used[i] + cost - room
      local at = nil
      local waited
      if used[i] == redis.call('ZCARD', log) then
        -- Every send costs 1 here: the ones that must leave are the oldest, found by rank.
        waited = redis.call('ZRANGE', log, 0, mustFree - 1, 'WITHSCORES')
        at = tonumber(waited[#waited]) + win
      else
        local sends = redis.call('ZRANGE', log, 0, -1, 'WITHSCORES')
        waited = {}
        for j = 1, #sends, 2 do
          waited[#waited + 1] = sends[j]
          waited[#waited + 1] = sends[j + 1]
          mustFree = mustFree - tonumber(string.match(sends[j], '|([^|]+)$'))
          if mustFree <= 0 then at = tonumber(sends[j + 1]) + win break end
        end
      end
      if at == nil then return nil end
      for j = 1, #waited, 2 do
        if redis.call('SISMEMBER', KEYS[3], waited[j]) == 1 then firm = false break end
      end
      if at > fitAt then fitAt = at end
    end
  end
  return fitAt, firm
end
-- Times go back to the caller to the microsecond, rounded up (tostring keeps 14 digits:
-- a tenth of a millisecond of an epoch time, which could grant a send early).
local function exact(t) return string.format('%.3f', math.ceil(t * 1000) / 1000) end
local granted = {1}
for k = 0, count + spare - 1 do
  local isSpare = k >= count
  local fitAt, firm = fit(isSpare)
  if fitAt == nil then
    if k == 0 then return {0, 'inf'} end
    break
  end
  if fitAt > now and (isSpare or not firm or bookUntil == nil or fitAt > bookUntil) then
    if k == 0 then
      -- The tenant waits for room from now until a send of it is granted (room in the
      -- shared quota: a tenant held by its own budget does not wait for room).
      if tenant ~= '' then
        if own == 0 or used[own] + tonumber(ARGV[ownAt + 4]) <= tonumber(ARGV[ownAt + 2]) - tonumber(ARGV[ownAt + 5]) then redis.call('HSETNX', KEYS[4], 'q:' .. tenant, now) end
      end
      return {0, exact(fitAt)}
    end
    break
  end
  if k == 0 and tenant ~= '' then redis.call('HDEL', KEYS[4], 'q:' .. tenant) end
  local sendId = id
  if k > 0 then sendId = id .. '+' .. k end
  for i = 1, quotas do
    local b = 10 + (i - 1) * 5
    local member = sendId .. '|' .. ARGV[b + 4]
    redis.call('ZADD', KEYS[4 + i], fitAt, member)
    used[i] = tonumber(redis.call('HINCRBYFLOAT', KEYS[2], ARGV[b + 1], ARGV[b + 4]))
    redis.call('SADD', KEYS[3], member)
  end
  granted[#granted + 1] = exact(fitAt)
end
for i = 1, quotas do redis.call('PEXPIRE', KEYS[4 + i], ttl) end
redis.call('PEXPIRE', KEYS[2], ttl)
redis.call('PEXPIRE', KEYS[3], ttl)
return granted
`;

/** KEYS: pending, log:N per demand. ARGV: member per demand, then at. Moves a send later, never earlier; it is no longer in flight. */
export const SETTLE = `
local at = tonumber(ARGV[#ARGV])
for i = 2, #KEYS do
  local member = ARGV[i - 1]
  redis.call('SREM', KEYS[1], member)
  local score = redis.call('ZSCORE', KEYS[i], member)
  if score and tonumber(score) < at then redis.call('ZADD', KEYS[i], 'XX', at, member) end
end
return 1
`;

/** KEYS: used, pending, log:N per demand. ARGV: member per demand, then name per demand. Gives the units back. */
export const CANCEL = `
local count = #KEYS - 2
for i = 1, count do
  local member = ARGV[i]
  redis.call('SREM', KEYS[2], member)
  if redis.call('ZREM', KEYS[2 + i], member) == 1 then
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
 * KEYS: used, log:N, pending. ARGV: now, name, limit, windowMs, remaining, resetAt ("" when not
 * said), id, ttlMs. Units the server counts beyond the log are held until its reset.
 */
export const OBSERVE = `${PRUNE}
local now, name, limit, win, remaining = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local used = prune(KEYS[2], KEYS[1], name, now - win, KEYS[3])
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

/** KEYS: log:N, pending. ARGV: from. Units of the sends answered (not in flight) after `from`. */
export const USAGE = `
local units = 0
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf')) do
  if redis.call('SISMEMBER', KEYS[2], member) == 0 then units = units + tonumber(string.match(member, '|([^|]+)$')) end
end
return tostring(units)
`;

/** KEYS: learned (hash: quota name → "version|value"). ARGV: name, version, value, ttlMs. The higher version stays. */
export const SHARE = `
local current = redis.call('HGET', KEYS[1], ARGV[1])
if current and tonumber(string.match(current, '^([^|]+)|')) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. '|' .. ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;
