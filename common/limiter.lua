-- SPDX-License-Identifier: BSD-2-Clause
-- floodgate limiter: check and count one subject, all-or-nothing.
--
-- KEYS: 1 usage HASH, 2 block HASH, 3 limits HASH (overrides), 4 client-ip
--       ZSET, 5 sender ZSET, 6 events STREAM
-- ARGV: 1 flags ("" | "d" dry-run | "r" refund), 2 now in ms (0: Redis TIME),
--       3 messages, 4 recipients, 5 bytes to add, 6 node, 7 by, 8 subject,
--       9 client ip ("" none), 10 sender ("" none), 11 number of limits,
--       then per limit: name, window s, messages, recipients, bytes,
--       max_client_ips, max_senders, block_after, block_ttl s
-- Returns {status, rule, what, value, limit, now_ms}
--   status 0 counted, 1 over a limit (nothing counted), 2 already blocked,
--   3 exempt, 4 blocked by this request (a compromise signal),
--   5 over a limit and blocked by this denial (the block_after-th)
-- Usage fields: <m|r|B>:<window>:<bucket>, d:<limit>:<bucket> (denials),
-- L:<limit> (last bucket written, for removing stale fields).
-- Client ips and senders are recorded for every request that reaches the
-- limits, a refused one too (retries from many addresses are the signal).
--
-- Cost: Redis runs this for every policy request, so it is written flat.
-- Measured in Redis 7.0's Lua (t/bench, callgrind): a table built costs
-- 1-2k instructions, tonumber 1.8k, a number made a string 3.5k, a
-- redis.call 3-9k. So no table per limit or metric: one list of the usage
-- fields (a limit's fields at fixed offsets), read with one HMGET and
-- written with one HSET (the script is atomic: read, add, write is exact);
-- each bucket number is formatted once; the limits hash is read only when
-- it exists; TTLs are renewed and old set members trimmed only when a
-- bucket rolls over.
local usage, blockk, limk, ipk, sndk, evk =
    KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local A = ARGV
local flags, ip, snd = A[1], A[9], A[10]
local now = tonumber(A[2])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local n = tonumber(A[11])

-- the metrics this request adds to, 4 entries each in M: letter, name,
-- ARGV offset (the increment at A[off], a limit's max at A[o + off]),
-- increment
local M, k = {}, 0
for off = 3, 5 do
  if A[off] ~= '0' then
    M[4 * k + 1], M[4 * k + 2], M[4 * k + 3], M[4 * k + 4] =
        off == 3 and 'm' or off == 4 and 'r' or 'B',
        off == 3 and 'messages' or off == 4 and 'recipients' or 'bytes',
        off, tonumber(A[off])
    k = k + 1
  end
end

-- F: per limit, at (i - 1) * S: k current fields, k previous fields,
-- its denials now and before, its L field; P, at 3 * i - 2: its window in
-- ms, bucket, and the weight of the previous bucket
local S = 2 * k + 3
local F, P = {}, {}
local maxw = 0
for i = 1, n do
  local o, f = 11 + (i - 1) * 9, (i - 1) * S
  local ws, name = A[o + 2], A[o + 1]
  local w = tonumber(ws) * 1000
  local b = math.floor(now / w)
  local bs, ps = tostring(b), tostring(b - 1)
  for j = 1, k do
    F[f + j] = M[4 * j - 3] .. ':' .. ws .. ':' .. bs
    F[f + k + j] = M[4 * j - 3] .. ':' .. ws .. ':' .. ps
  end
  F[f + 2 * k + 1] = 'd:' .. name .. ':' .. bs
  F[f + 2 * k + 2] = 'd:' .. name .. ':' .. ps
  F[f + 2 * k + 3] = 'L:' .. name
  P[3 * i - 2], P[3 * i - 1], P[3 * i] = w, b, (w - (now - b * w)) / w
  if w > maxw then maxw = w end
end

-- refund: undo what a counted request added (another subject refused it)
if flags == 'r' then
  if k == 0 or n == 0 then return {0, '', '', 0, 0, now} end
  local names = {}
  for i = 1, n do
    for j = 1, k do names[#names + 1] = F[(i - 1) * S + j] end
  end
  local got, set = redis.call('HMGET', usage, unpack(names)), {}
  for x = 1, #names do
    if got[x] then
      set[#set + 1] = names[x]
      set[#set + 1] = tonumber(got[x]) - M[4 * ((x - 1) % k + 1)]
    end
  end
  if #set > 0 then redis.call('HSET', usage, unpack(set)) end
  return {0, '', '', 0, 0, now}
end

-- overrides and exemption: the limits hash exists for few subjects
local over
if redis.call('EXISTS', limk) == 1 then
  local names = {'exempt'}
  for i = 1, n do
    for j = 1, k do names[#names + 1] = M[4 * j - 2] .. ':' .. A[11 + (i - 1) * 9 + 2] end
  end
  local got = redis.call('HMGET', limk, unpack(names))
  if got[1] == '1' then return {3, '', '', 0, 0, now} end
  over = got
end
if redis.call('EXISTS', blockk) == 1 then
  local b = redis.call('HMGET', blockk, 'rule', 'reason')
  return {2, b[1] or '', b[2] or '', 0, 0, now}
end
if n == 0 then return {0, '', '', 0, 0, now} end

-- V: the values of F, read at once
local V = redis.call('HMGET', usage, unpack(F))
for x = 1, n * S do V[x] = tonumber(V[x]) or 0 end

-- distinct members (ips, senders) within a window, this one included: the
-- member is recorded first, so one count per limit answers; a set alone
-- in its window may be new and gets its TTL
local zadded, zfresh = {}, {}
local function distinct(key, member, w)
  if not zadded[key] then
    redis.call('ZADD', key, now, member)
    zadded[key] = true
  end
  local c = redis.call('ZCOUNT', key, now - w, '+inf')
  if c == 1 then zfresh[key] = true end
  return c
end

-- deny: the first limit and metric over; signal: the first compromise
local dl, dwhat, dval, dmax
local sl, swhat, sval, smax
for i = 1, n do
  local o, f = 11 + (i - 1) * 9, (i - 1) * S
  for j = 1, k do
    if not dl then
      -- a per-subject override (limits hash) beats the configured max
      local max = over and tonumber(over[1 + (i - 1) * k + j]) or
          tonumber(A[o + M[4 * j - 1]])
      if max > 0 then
        local v = V[f + j] + V[f + k + j] * P[3 * i] + M[4 * j]
        if v > max then dl, dwhat, dval, dmax = i, M[4 * j - 2], math.floor(v), max end
      end
    end
  end
  if not sl and A[o + 6] ~= '0' and ip ~= '' then
    local c, max = distinct(ipk, ip, P[3 * i - 2]), tonumber(A[o + 6])
    if c > max then sl, swhat, sval, smax = i, 'client_ips', c, max end
  end
  if not sl and A[o + 7] ~= '0' and snd ~= '' then
    local c, max = distinct(sndk, snd, P[3 * i - 2]), tonumber(A[o + 7])
    if c > max then sl, swhat, sval, smax = i, 'senders', c, max end
  end
end

-- set: the pending HSET; roll: on a new bucket of limit i, delete the
-- fields no estimate reads any more and renew the TTLs (a key lives two
-- longest windows past a roll, so through every limit's next bucket)
local set, rolled = {}, false
local function roll(i)
  local f = (i - 1) * S + 2 * k + 3
  local last = V[f]
  if last == P[3 * i - 1] then return end
  V[f] = P[3 * i - 1]
  if last ~= 0 then
    local o = 11 + (i - 1) * 9
    for x = last - 1, last do
      if x < P[3 * i - 1] - 1 then
        redis.call('HDEL', usage, 'm:' .. A[o + 2] .. ':' .. x,
            'r:' .. A[o + 2] .. ':' .. x, 'B:' .. A[o + 2] .. ':' .. x,
            'd:' .. A[o + 1] .. ':' .. x)
      end
    end
  end
  set[#set + 1] = F[f]
  set[#set + 1] = P[3 * i - 1]
  rolled = true
end

local function count()
  for i = 1, n do
    local f = (i - 1) * S
    roll(i)
    for j = 1, k do
      set[#set + 1] = F[f + j]
      set[#set + 1] = V[f + j] + M[4 * j]
    end
  end
end

local function write()
  if #set > 0 then redis.call('HSET', usage, unpack(set)) end
  if rolled then redis.call('PEXPIRE', usage, maxw * 2) end
  for z in pairs(zadded) do
    if rolled then
      redis.call('ZREMRANGEBYSCORE', z, '-inf', '(' .. (now - maxw))
    end
    if rolled or zfresh[z] then redis.call('PEXPIRE', z, maxw * 2) end
  end
end

local function block(i, what, value, max, reason)
  if flags == 'd' then return end
  local o = 11 + (i - 1) * 9
  redis.call('HSET', blockk, 'reason', reason, 'rule', A[o + 1],
      'value', value, 'limit', max, 'at', math.floor(now / 1000),
      'by', A[7], 'node', A[6])
  local ttl = tonumber(A[o + 9])
  if ttl > 0 then redis.call('EXPIRE', blockk, ttl) end
  redis.call('XADD', evk, 'MAXLEN', '~', 10000, '*', 'event', 'block',
      'subject', A[8], 'rule', A[o + 1], 'reason', reason,
      'value', value, 'limit', max, 'node', A[6], 'by', A[7])
end

if sl then
  block(sl, swhat, sval, smax, swhat .. ' ' .. sval .. ' > ' .. smax)
  if flags == 'd' then count() end
  write()
  return {4, A[11 + (sl - 1) * 9 + 1], swhat, sval, smax, now}
end
if dl then
  local f, o = (dl - 1) * S + 2 * k, 11 + (dl - 1) * 9
  roll(dl)
  local dn = V[f + 1] + 1
  set[#set + 1] = F[f + 1]
  set[#set + 1] = dn
  local d = dn + V[f + 2] * P[3 * dl]
  if flags == 'd' then count() end
  write()
  local after = tonumber(A[o + 8])
  if after > 0 and d >= after then
    block(dl, dwhat, dval, dmax,
        dwhat .. ' over limit ' .. dmax .. ', ' .. math.floor(d) .. ' denials')
    return {5, A[o + 1], dwhat, dval, dmax, now}
  end
  return {1, A[o + 1], dwhat, dval, dmax, now}
end
count()
write()
return {0, '', '', 0, 0, now}
