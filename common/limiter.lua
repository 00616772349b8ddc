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
local usage, blockk, limk, ipk, sndk, evk =
    KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local flags = ARGV[1]
local now = tonumber(ARGV[2])
if now == 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local inc = {m = tonumber(ARGV[3]), r = tonumber(ARGV[4]), B = tonumber(ARGV[5])}
local node, by, subj, ip, snd = ARGV[6], ARGV[7], ARGV[8], ARGV[9], ARGV[10]
local n = tonumber(ARGV[11])
local metrics = {{'m', 'messages', 3}, {'r', 'recipients', 4}, {'B', 'bytes', 5}}

local limits = {}
local maxw = 0
for i = 1, n do
  local o = 11 + (i - 1) * 9
  local l = {name = ARGV[o + 1], w = tonumber(ARGV[o + 2]),
    max = {m = tonumber(ARGV[o + 3]), r = tonumber(ARGV[o + 4]),
           B = tonumber(ARGV[o + 5])},
    ips = tonumber(ARGV[o + 6]), snd = tonumber(ARGV[o + 7]),
    after = tonumber(ARGV[o + 8]), ttl = tonumber(ARGV[o + 9])}
  l.wms = l.w * 1000
  l.b = math.floor(now / l.wms)
  l.frac = (l.wms - (now - l.b * l.wms)) / l.wms
  if l.w > maxw then maxw = l.w end
  limits[i] = l
end

local function field(p, w, b) return p .. ':' .. w .. ':' .. b end
local function num(v) return tonumber(v) or 0 end

-- refund: undo what a counted request added (another subject refused it)
if flags == 'r' then
  local done = {}
  for _, l in ipairs(limits) do
    for _, m in ipairs(metrics) do
      local f = field(m[1], l.w, l.b)
      if inc[m[1]] > 0 and not done[f] and redis.call('HEXISTS', usage, f) == 1 then
        done[f] = true
        redis.call('HINCRBY', usage, f, -inc[m[1]])
      end
    end
  end
  return {0, '', '', 0, 0, now}
end

if redis.call('HGET', limk, 'exempt') == '1' then
  return {3, '', '', 0, 0, now}
end
if redis.call('EXISTS', blockk) == 1 then
  local b = redis.call('HMGET', blockk, 'rule', 'reason')
  return {2, b[1] or '', b[2] or '', 0, 0, now}
end

-- sliding estimate of a metric: current bucket plus the weighted previous
local function estimate(p, l)
  return num(redis.call('HGET', usage, field(p, l.w, l.b))) +
      num(redis.call('HGET', usage, field(p, l.w, l.b - 1))) * l.frac
end

-- distinct members (ips, senders) seen within a window, plus this one
local function distinct(key, member, l)
  if redis.call('ZSCORE', key, member) then
    return redis.call('ZCOUNT', key, now - l.wms, '+inf')
  end
  return redis.call('ZCOUNT', key, now - l.wms, '+inf') + 1
end

local deny, signal
for _, l in ipairs(limits) do
  for _, m in ipairs(metrics) do
    if inc[m[1]] > 0 and not deny then
      -- a per-subject override (limits hash) beats the configured max
      local max = l.max[m[1]]
      local o = redis.call('HGET', limk, m[2] .. ':' .. l.w)
      if o then max = num(o) end
      if max > 0 then
        local v = estimate(m[1], l) + inc[m[1]]
        if v > max then deny = {l, m[2], math.floor(v), max} end
      end
    end
  end
  if l.ips > 0 and ip ~= '' and not signal then
    local c = distinct(ipk, ip, l)
    if c > l.ips then signal = {l, 'client_ips', c, l.ips} end
  end
  if l.snd > 0 and snd ~= '' and not signal then
    local c = distinct(sndk, snd, l)
    if c > l.snd then signal = {l, 'senders', c, l.snd} end
  end
end

-- roll: on a new bucket, delete the fields no estimate reads any more
local function roll(l)
  local lf = 'L:' .. l.name
  local last = tonumber(redis.call('HGET', usage, lf))
  if last == l.b then return end
  if last then
    for _, x in ipairs({last - 1, last}) do
      if x < l.b - 1 then
        redis.call('HDEL', usage, field('m', l.w, x), field('r', l.w, x),
            field('B', l.w, x), field('d', l.name, x))
      end
    end
  end
  redis.call('HSET', usage, lf, l.b)
end

local function block(d, reason)
  local l = d[1]
  if flags == 'd' then return end
  redis.call('HSET', blockk, 'reason', reason, 'rule', l.name,
      'value', d[3], 'limit', d[4], 'at', math.floor(now / 1000),
      'by', by, 'node', node)
  if l.ttl > 0 then redis.call('EXPIRE', blockk, l.ttl) end
  redis.call('XADD', evk, 'MAXLEN', '~', 10000, '*', 'event', 'block',
      'subject', subj, 'rule', l.name, 'reason', reason,
      'value', d[3], 'limit', d[4], 'node', node, 'by', by)
end

local function count()
  local done = {}
  for _, l in ipairs(limits) do
    roll(l)
    for _, m in ipairs(metrics) do
      local f = field(m[1], l.w, l.b)
      if inc[m[1]] > 0 and not done[f] then
        done[f] = true
        redis.call('HINCRBY', usage, f, inc[m[1]])
      end
    end
  end
  local ttl = maxw * 2000
  if ip ~= '' and #limits > 0 then
    redis.call('ZADD', ipk, now, ip)
    redis.call('ZREMRANGEBYSCORE', ipk, '-inf', '(' .. (now - maxw * 1000))
    redis.call('PEXPIRE', ipk, ttl)
  end
  if snd ~= '' and #limits > 0 then
    redis.call('ZADD', sndk, now, snd)
    redis.call('ZREMRANGEBYSCORE', sndk, '-inf', '(' .. (now - maxw * 1000))
    redis.call('PEXPIRE', sndk, ttl)
  end
  redis.call('PEXPIRE', usage, ttl)
end

if signal then
  block(signal, signal[2] .. ' ' .. signal[3] .. ' > ' .. signal[4])
  if flags == 'd' then count() end
  return {4, signal[1].name, signal[2], signal[3], signal[4], now}
end
if deny then
  local l = deny[1]
  roll(l)
  local d = redis.call('HINCRBY', usage, field('d', l.name, l.b), 1) +
      num(redis.call('HGET', usage, field('d', l.name, l.b - 1))) * l.frac
  redis.call('PEXPIRE', usage, maxw * 2000)
  if flags == 'd' then count() end
  if l.after > 0 and d >= l.after then
    block(deny, deny[2] .. ' over limit ' .. deny[4] .. ', ' ..
        math.floor(d) .. ' denials')
    return {5, l.name, deny[2], deny[3], deny[4], now}
  end
  return {1, l.name, deny[2], deny[3], deny[4], now}
end
count()
return {0, '', '', 0, 0, now}
