import { script } from '../state/lua-script.js';
import { OWNER_LUA } from '../state/owner-lease.js';

/*
 * Counter keys are hashes {requests, tokens, since, r:<owner>...} (tokens: used plus reserved,
 * integers), expiring when their window has ended (plus a grace period, so late settlements find them).
 * `since`, set when a key is created, names its incarnation: a key Redis lost starts again from zero
 * with a later one, which holds none of the reservations made before. `r:<owner>` is what one replica's
 * reservations hold of `tokens` (`state/owner-lease.ts`): a day window outlives a dead replica, whose
 * part is taken back once its lease (its field in `{ratelimit}:leases`) expires.
 */

/**
 * KEYS: counters, then the leases hash. ARGV: tokens, requests (1, or 0 for a continuation), now,
 * owner, lease ms, '1' to create the lease, then per key: request limit ('' for none), token limit
 * ('' for none), ttl ms. A counter whose tokens would refuse first takes back what
 * owners whose lease expired hold, then decides.
 * Reply: {'1', requests, tokens, ...per key, then each key's since},
 * {'0', refused index, 'requests'|'tokens', requests, tokens, ...per key}, or {'lease'} when the owner's
 * lease lapsed (nothing taken).
 */
export const TAKE = script(`${OWNER_LUA}
local n = #KEYS - 1
local leases = KEYS[#KEYS]
local clock = clock_ms()
if not hold_lease(leases, ARGV[4], ARGV[5], ARGV[6], clock) then return {'lease'} end
local tokens = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local figures = {}
local refused = nil
for i = 1, n do
  local v = redis.call('HMGET', KEYS[i], 'requests', 'tokens')
  local requests = tonumber(v[1] or '0') or 0
  local used = tonumber(v[2] or '0') or 0
  if refused == nil then
    local rl = ARGV[7 + 3 * (i - 1)]
    local tl = ARGV[8 + 3 * (i - 1)]
    if rl ~= '' and count > 0 and requests >= tonumber(rl) then refused = {tostring(i - 1), 'requests'}
    elseif tl ~= '' and used > 0 and used + tokens > tonumber(tl) then
      used = reclaim(KEYS[i], 'tokens', leases, clock, 'HINCRBY')
      if used > 0 and used + tokens > tonumber(tl) then refused = {tostring(i - 1), 'tokens'} end
    end
  end
  figures[#figures + 1] = tostring(requests)
  figures[#figures + 1] = tostring(used)
end
if refused ~= nil then
  local reply = {'0', refused[1], refused[2]}
  for _, f in ipairs(figures) do reply[#reply + 1] = f end
  return reply
end
local field = 'r:' .. ARGV[4]
local reply = {'1'}
for i = 1, n do
  reply[#reply + 1] = tostring(redis.call('HINCRBY', KEYS[i], 'requests', count))
  reply[#reply + 1] = tostring(redis.call('HINCRBY', KEYS[i], 'tokens', tokens))
  if tokens > 0 then redis.call('HINCRBY', KEYS[i], field, tokens) end
  redis.call('HSETNX', KEYS[i], 'since', ARGV[3])
  redis.call('PEXPIRE', KEYS[i], ARGV[9 + 3 * (i - 1)])
end
for i = 1, n do reply[#reply + 1] = redis.call('HGET', KEYS[i], 'since') end
return reply
`);

/**
 * KEYS: counters. ARGV: tokens used (0 for a release), tokens reserved to take back, owner, then per
 * key the since they were reserved on ('' for none): only the incarnation holding them gives them
 * back, and only what the owner still holds there (none once a lapsed lease's holdings were taken
 * back). A counter an older build created has no `since` (a rolling upgrade): it is adjusted as that
 * build did. Never drives tokens below zero; a missing counter stays missing.
 */
export const ADJUST = script(`${OWNER_LUA}
for i = 1, #KEYS do
  local since = redis.call('HGET', KEYS[i], 'since')
  if since or redis.call('EXISTS', KEYS[i]) == 1 then
    local delta = tonumber(ARGV[1])
    if not since then delta = delta - tonumber(ARGV[2])
    elseif tonumber(ARGV[2]) > 0 and tonumber(since) == tonumber(ARGV[3 + i]) then
      delta = delta - tonumber(take_held(KEYS[i], ARGV[3], ARGV[2], 'HINCRBY'))
    end
    if redis.call('HINCRBY', KEYS[i], 'tokens', delta) < 0 then redis.call('HSET', KEYS[i], 'tokens', '0') end
  end
end
return 1
`);
