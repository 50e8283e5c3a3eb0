import { script } from '../state/lua-script.js';

/*
 * Counter keys are hashes {requests, tokens, since} (tokens: used plus reserved, integers), expiring
 * when their window has ended (plus a grace period, so late settlements find them). `since`, set when
 * a key is created, names its incarnation: a key Redis lost starts again from zero with a later one,
 * which holds none of the reservations made before.
 */

/**
 * KEYS: counters. ARGV: tokens, requests (1, or 0 for a continuation), now, then per key: request limit ('' for none),
 * token limit ('' for none), ttl ms.
 * Reply: {'1', requests, tokens, ...per key, then each key's since} or {'0', refused index, 'requests'|'tokens', requests, tokens, ...per key}.
 */
export const TAKE = script(`
local tokens = tonumber(ARGV[1])
local count = tonumber(ARGV[2])
local figures = {}
local refused = nil
for i = 1, #KEYS do
  local v = redis.call('HMGET', KEYS[i], 'requests', 'tokens')
  local requests = tonumber(v[1] or '0') or 0
  local used = tonumber(v[2] or '0') or 0
  figures[#figures + 1] = tostring(requests)
  figures[#figures + 1] = tostring(used)
  if refused == nil then
    local rl = ARGV[4 + 3 * (i - 1)]
    local tl = ARGV[5 + 3 * (i - 1)]
    if rl ~= '' and count > 0 and requests >= tonumber(rl) then refused = {tostring(i - 1), 'requests'}
    elseif tl ~= '' and used > 0 and used + tokens > tonumber(tl) then refused = {tostring(i - 1), 'tokens'} end
  end
end
if refused ~= nil then
  local reply = {'0', refused[1], refused[2]}
  for _, f in ipairs(figures) do reply[#reply + 1] = f end
  return reply
end
local reply = {'1'}
for i = 1, #KEYS do
  reply[#reply + 1] = tostring(redis.call('HINCRBY', KEYS[i], 'requests', count))
  reply[#reply + 1] = tostring(redis.call('HINCRBY', KEYS[i], 'tokens', tokens))
  redis.call('HSETNX', KEYS[i], 'since', ARGV[3])
  redis.call('PEXPIRE', KEYS[i], ARGV[6 + 3 * (i - 1)])
end
for i = 1, #KEYS do reply[#reply + 1] = redis.call('HGET', KEYS[i], 'since') end
return reply
`);

/**
 * KEYS: counters. ARGV: tokens used (0 for a release), tokens reserved to take back, then per key the
 * since they were reserved on ('' for none): only the incarnation holding them gives them back. A
 * counter an older build created has no `since` (a rolling upgrade): it is adjusted as that build did.
 * Never drives tokens below zero; a missing counter stays missing.
 */
export const ADJUST = script(`
for i = 1, #KEYS do
  local since = redis.call('HGET', KEYS[i], 'since')
  if since or redis.call('EXISTS', KEYS[i]) == 1 then
    local delta = tonumber(ARGV[1])
    if not since or tonumber(since) == tonumber(ARGV[2 + i]) then delta = delta - tonumber(ARGV[2]) end
    if redis.call('HINCRBY', KEYS[i], 'tokens', delta) < 0 then redis.call('HSET', KEYS[i], 'tokens', '0') end
  end
end
return 1
`);
