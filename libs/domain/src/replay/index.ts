// Deterministic in-memory replay of the pipeline over an event log, and the what-if comparison of two policies.
export { assignCaseNumbers, createCaseNumberSequence, formatCaseNo, parseCaseNo } from './case-numbers.js';
export { inferKind, kindOfTopic, readEnvelope, type EnvelopeReading, type ReplayEnvelope } from './envelope.js';
export {
  createReplay,
  reasonCategory,
  replayAll,
  type DecideFn,
  type FeedOutcome,
  type ParseInputFn,
  type Replay,
  type ReplayOptions,
} from './runner.js';
export type { ReplayCase, ReplayDeadline, ReplayLiability, ReplayNotification, ReplayResult } from './result.js';
export { liabilitiesInForce, summarizeReplay, type ReplaySummary } from './summary.js';
export { diffReplays, type FieldChange, type ReplayDiff, type SummaryRow, type WaybillDiff } from './diff.js';
export { TimerQueue, type ArmedTimer } from './timer-queue.js';
