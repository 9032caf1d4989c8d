/**
 * Arms many deadline timers in one Redis call, as BullMQ delayed jobs.
 *
 * BullMQ's own `addBulk` runs its `addDelayedJob` script once per job: about 60 µs of Redis time each (job
 * counter, two event-stream entries, a score probe, the marker) and a job hash whose `opts` field repeats the
 * job id, which pushes it past Redis's 64-byte listpack limit into a full hash table (~1 KB per job in all).
 * Arming a million timers that way takes minutes; the reconciler must do it after every Redis loss.
 *
 * This script writes exactly what BullMQ 6's `addDelayedJob` stores for a job without options — the job hash
 * (`name`, `data`, `opts`, `timestamp`, `delay`, `priority`) and its entry in the `delayed` sorted set, scored
 * `due * 0x1000` — and then moves the queue's delay marker as BullMQ does, so that BullMQ's Worker, getters and
 * `removeJob` treat these jobs as their own. It emits no per-job stream events (nothing here listens to them).
 * bullmq is pinned to an exact version; test/deadlines/scheduler.e2e.ts checks the layout against it.
 *
 * A job id that already has a live job is left alone (arming is idempotent). One that only has a finished
 * (failed or completed) job is returned, for the caller to remove through BullMQ and arm again.
 *
 * KEYS[1] delayed set, KEYS[2] delay marker
 * ARGV[1] job key prefix (`bull:deadlines:`), ARGV[2] now (ms), then pairs: job id, due time (ms)
 * Returns { armed count, finished job ids }.
 */
export const ARM_DEADLINES_LUA = `
local delayedKey = KEYS[1]
local markerKey = KEYS[2]
local prefix = ARGV[1]
local now = tonumber(ARGV[2])
local armed = 0
local finished = {}
for i = 3, #ARGV, 2 do
  local jobId = ARGV[i]
  local due = tonumber(ARGV[i + 1])
  local jobKey = prefix .. jobId
  local existing = redis.call('HMGET', jobKey, 'timestamp', 'finishedOn')
  if existing[1] == false then
    local delay = due - now
    if delay < 0 then delay = 0 end
    redis.call('HSET', jobKey, 'name', 'deadline', 'data', '{}', 'opts', '{}', 'timestamp', now, 'delay', delay, 'priority', 0)
    redis.call('ZADD', delayedKey, due * 0x1000, jobId)
    armed = armed + 1
  elseif existing[2] ~= false then
    finished[#finished + 1] = jobId
  end
end
if armed > 0 then
  -- BullMQ's addDelayMarkerIfNeeded: wake blocked workers at the earliest delayed job's time.
  local first = redis.call('ZRANGE', delayedKey, 0, 0, 'WITHSCORES')
  if first[2] then
    redis.call('ZADD', markerKey, tonumber(first[2]) / 0x1000, '1')
  end
end
return { armed, finished }
`;

/**
 * For each job id: 1 when it has a live timer (a job that is not finished), else 0. Active jobs count as live:
 * their run ends in a judgement or a re-timing, and a crashed run is recovered by BullMQ's stalled-job check.
 * ARGV[1] job key prefix, then job ids.
 */
export const LIVE_TIMERS_LUA = `
local prefix = ARGV[1]
local live = {}
for i = 2, #ARGV do
  local fields = redis.call('HMGET', prefix .. ARGV[i], 'timestamp', 'finishedOn')
  if fields[1] ~= false and fields[2] == false then live[i - 1] = 1 else live[i - 1] = 0 end
end
return live
`;

/**
 * Cancels many timers in one Redis call: a job still waiting in the `delayed` set (nearly every cancel: a DWELL
 * timer met by the next departure scan) is removed as BullMQ's `removeJob` removes it — its entry in the set, its
 * hash and its logs — without BullMQ's per-job script (lock check, parent dependencies, event-stream entry). The
 * ids of jobs found anywhere else (waiting, running, finished, or absent) are returned for `Queue.remove`.
 * KEYS[1] delayed set; ARGV[1] job key prefix, then job ids.
 */
export const CANCEL_DELAYED_TIMERS_LUA = `
local prefix = ARGV[1]
local others = {}
for i = 2, #ARGV do
  local jobId = ARGV[i]
  if redis.call('ZREM', KEYS[1], jobId) == 1 then
    redis.call('DEL', prefix .. jobId, prefix .. jobId .. ':logs')
  else
    others[#others + 1] = jobId
  end
end
return others
`;
