// The rule engine: decide(state, input, policy) → { state, effects }, and the shapes around it.
export * from './types.js';
export { decide, emptyWaybillState, MAX_PENDING } from './decide.js';
export { effectiveLiabilities, type EffectiveLiability } from './liability.js';
export { caseIdFor, deadlineIdFor, dwellTimerId, idToken, notificationIdFor, waybillOfDeadlineId } from './case-identity.js';
export { honorificOf, normaliseMobile, surnameOf } from './notifications.js';
export { DEADLINE_RULES } from './rules/index.js';
export { SEEN_EVENT_IDS_KEPT } from './context.js';
export type { AttachedEvidenceFact, CaseData, RegistrationFact, ReplyFact, ActionFact, AttemptFact, Detection, ScanFact, WaybillFacts } from './model.js';
