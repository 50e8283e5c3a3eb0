import { script } from '../../state/lua-script.js';
import { OWNER_LUA } from '../../state/owner-lease.js';

/*
 * Counter keys are hashes {spent, reserved, since, seeded, r:<owner>...}; amounts go through
 * HINCRBYFLOAT, so the arithmetic is Redis's long double and never Lua's 14-digit tostring. Replies are
 * strings, because Redis truncates Lua numbers to integers. `since`, set once when a key is created,
 * names its incarnation: a key Redis lost and a replica created again has a later one, which holds none
 * of the reservations made before and whose seed holds the spend booked before. `r:<owner>` is what
 * one replica's reservations hold of `reserved` (`state/owner-lease.ts`): a dead replica's part is taken
 * back once its lease (its field in `{budget}:leases`) expires.
 */

/*
 * Overrides (`BudgetOverride`) live in one hash, `{budget}:overrides`, beside the counters (same slot):
 * field `<budget>|<value>` (`overrideKey`), value `<hard>|<soft or ''>|<expires at ms>|<the override as
 * JSON>`, so a script reads the limits without decoding JSON. A field past its expiry is ignored and
 * dropped by the next write; the hash expires with its last override.
 */

/**
 * KEYS: counters, then the overrides hash, then the leases hash. ARGV: amount, now, owner, lease ms, '1'
 * to create the lease, then per counter: hard limit ('' for none), ttl ms. A counter's unexpired override
 * (its field named from the key, `...{budget}:<budget>|<day>|<value>`) replaces its hard limit; the
 * overrides hash is looked at only when it exists. A counter at its hard limit first takes back what
 * owners whose lease expired hold, then decides.
 * Reply: {'1', each counter's since..., overrides, unseeded indexes...}, {'0', refused index, spent,
 * reserved, the hard limit and expiry of the override that refused ('' and '' for none), unseeded
 * indexes...}, or {'lease'} when the owner's lease lapsed (nothing reserved). `overrides`: '' when none
 * applied, else `<index>|<hard>|<soft>|<expires at>` entries joined by `;`.
 */
export const RESERVE = script(`${OWNER_LUA}
local n = #KEYS - 2
local leases = KEYS[#KEYS]
local clock = clock_ms()
if not hold_lease(leases, ARGV[3], ARGV[4], ARGV[5], clock) then return {'lease'} end
local amount = ARGV[1]
local unseeded = {}
for i = 1, n do
  if redis.call('HEXISTS', KEYS[i], 'seeded') == 0 then unseeded[#unseeded + 1] = tostring(i - 1) end
end
local over = {}
local ends
local found = {}
if redis.call('EXISTS', KEYS[n + 1]) == 1 then
  ends = {}
  for i = 1, n do
    local budget, value = string.match(KEYS[i], '{budget}:([^|]*)|[^|]*|(.*)$')
    local o = budget and redis.call('HGET', KEYS[n + 1], budget .. '|' .. value)
    if o then
      local hard, soft, expires = string.match(o, '^([^|]*)|([^|]*)|([^|]*)|')
      if tonumber(expires) > tonumber(ARGV[2]) then
        over[i] = hard
        ends[i] = expires
        found[#found + 1] = tostring(i - 1) .. '|' .. hard .. '|' .. soft .. '|' .. expires
      end
    end
  end
end
for i = 1, n do
  local hard = over[i] or ARGV[4 + 2 * i]
  if hard ~= '' then
    local v = redis.call('HMGET', KEYS[i], 'spent', 'reserved')
    local spent = tonumber(v[1] or '0') or 0
    if spent + (tonumber(v[2] or '0') or 0) >= tonumber(hard) and spent + reclaim(KEYS[i], 'reserved', leases, clock, 'HINCRBYFLOAT') >= tonumber(hard) then
      local reply = {'0', tostring(i - 1), v[1] or '0', redis.call('HGET', KEYS[i], 'reserved') or '0', over[i] or '', over[i] and ends[i] or ''}
      for _, u in ipairs(unseeded) do reply[#reply + 1] = u end
      return reply
    end
  end
end
local field = 'r:' .. ARGV[3]
local reply = {'1'}
for i = 1, n do
  redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', amount)
  redis.call('HINCRBYFLOAT', KEYS[i], field, amount)
  redis.call('HSETNX', KEYS[i], 'since', ARGV[2])
  redis.call('PEXPIRE', KEYS[i], ARGV[5 + 2 * i])
  reply[#reply + 1] = redis.call('HGET', KEYS[i], 'since')
end
reply[#reply + 1] = table.concat(found, ';')
for _, u in ipairs(unseeded) do reply[#reply + 1] = u end
return reply
`);

/**
 * KEYS: the overrides hash. ARGV: field, value ('' to remove), now, expires at. Drops expired fields,
 * then sets or removes the field and keeps the hash as long as its latest override (by the replica's
 * clock, as the counters' ttls are).
 * Reply: the field's value before, '' when it had none or it had expired.
 */
export const SET_OVERRIDE = script(`
local now = tonumber(ARGV[3])
local fields = redis.call('HGETALL', KEYS[1])
local latest = 0
local old = ''
for j = 1, #fields, 2 do
  local expires = tonumber(string.match(fields[j + 1], '^[^|]*|[^|]*|([^|]*)|')) or 0
  if expires <= now then
    redis.call('HDEL', KEYS[1], fields[j])
  else
    if fields[j] == ARGV[1] then old = fields[j + 1] elseif expires > latest then latest = expires end
  end
end
if ARGV[2] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
  if tonumber(ARGV[4]) > latest then latest = tonumber(ARGV[4]) end
end
if latest > now then redis.call('PEXPIRE', KEYS[1], string.format('%d', latest - now)) end
return old
`);

/**
 * KEYS: counters. ARGV: amount, owner, then per key the since it was reserved on. Takes it back only
 * from the incarnation that holds it, and only what the owner still holds there (none once a lapsed
 * lease's holdings were taken back), never driving `reserved` below zero; a missing counter stays missing.
 */
export const RELEASE = script(`${OWNER_LUA}
for i = 1, #KEYS do
  local since = redis.call('HGET', KEYS[i], 'since')
  if since and tonumber(since) == tonumber(ARGV[2 + i]) then
    local take = take_held(KEYS[i], ARGV[2], ARGV[1], 'HINCRBYFLOAT')
    local r = tonumber(redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', '-' .. take))
    if r < 1e-12 then redis.call('HSET', KEYS[i], 'reserved', '0') end
  end
end
return 1
`);

/**
 * KEYS: counters. ARGV: cost, fromReserved, bookedAt ('' but for a replayed settlement), owner, then
 * per key the since it was reserved on ('' for none). Adds the cost unless the counter was created after
 * it was booked (its seed read it from the ledger); takes `fromReserved` only from the incarnation
 * holding it, and only what the owner still holds there.
 * Reply: each counter's spend, '' for a missing counter (lost with a Redis restart: the cost is in the
 * ledger and reaches the counter when it is re-seeded).
 */
export const SETTLE = script(`${OWNER_LUA}
local reply = {}
local booked = tonumber(ARGV[3])
for i = 1, #KEYS do
  local since = tonumber(redis.call('HGET', KEYS[i], 'since') or '')
  if since == nil then
    reply[i] = ''
  else
    if booked == nil or booked >= since then
      reply[i] = redis.call('HINCRBYFLOAT', KEYS[i], 'spent', ARGV[1])
    else
      reply[i] = redis.call('HGET', KEYS[i], 'spent') or '0'
    end
    if tonumber(ARGV[2]) > 0 and since == tonumber(ARGV[4 + i]) then
      local take = take_held(KEYS[i], ARGV[4], ARGV[2], 'HINCRBYFLOAT')
      local r = tonumber(redis.call('HINCRBYFLOAT', KEYS[i], 'reserved', '-' .. take))
      if r < 1e-12 then redis.call('HSET', KEYS[i], 'reserved', '0') end
    end
  end
end
return reply
`);

/** KEYS: counter. ARGV: now, ttl ms. Creates the counter when missing. Reply: {seeded '0'|'1', since}. */
export const SEED_STATUS = script(`
if redis.call('HSETNX', KEYS[1], 'since', ARGV[1]) == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
local v = redis.call('HMGET', KEYS[1], 'seeded', 'since')
return {v[1] or '0', v[2]}
`);

/** KEYS: counter. ARGV: spend before `since`, now, ttl ms. Adds it once: the first replica wins. */
export const SEED = script(`
if redis.call('HEXISTS', KEYS[1], 'seeded') == 1 then return 0 end
redis.call('HINCRBYFLOAT', KEYS[1], 'spent', ARGV[1])
redis.call('HSET', KEYS[1], 'seeded', '1')
redis.call('HSETNX', KEYS[1], 'since', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
`);

/** KEYS: counters. Reply: each counter's spend ('0' before any), '' for a missing counter. */
export const SPENT = script(`
local reply = {}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then reply[i] = redis.call('HGET', KEYS[i], 'spent') or '0' else reply[i] = '' end
end
return reply
`);

/** KEYS: counters. Reply: per counter its spend and reservations ('0' before any), or '' and '' for a missing counter. */
export const FIGURES = script(`
local reply = {}
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    local v = redis.call('HMGET', KEYS[i], 'spent', 'reserved')
    reply[#reply + 1] = v[1] or '0'
    reply[#reply + 1] = v[2] or '0'
  else
    reply[#reply + 1] = ''
    reply[#reply + 1] = ''
  end
end
return reply
`);

/**
 * KEYS: any key of the `{budget}` slot (the leases hash), so a Redis Cluster runs it on the node
 * holding every counter. ARGV: cursor, MATCH pattern, COUNT. One SCAN step: {next cursor, keys}.
 */
export const SCAN_COUNTERS = script(`
return redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], 'COUNT', ARGV[3])
`);
