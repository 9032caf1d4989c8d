import { codChangeScenarios } from './cod-change.js';
import { complaintScenarios } from './complaint.js';
import { damageScenarios } from './damage.js';
import { failedDeliveryScenarios } from './failed-delivery.js';
import { lossScenarios } from './loss.js';
import { paymentChangeScenarios } from './payment-change.js';
import type { Scenario } from './types.js';
import { wrongRoutingScenarios } from './wrong-routing.js';

export type { JourneyOptions, ProblemDraft, Scenario, ScenarioContext } from './types.js';

/** Every problem scenario; a day runs each at least once, then draws the rest by weight. */
export const SCENARIOS: readonly Scenario[] = [
  ...failedDeliveryScenarios,
  ...wrongRoutingScenarios,
  ...damageScenarios,
  ...codChangeScenarios,
  ...paymentChangeScenarios,
  ...lossScenarios,
  ...complaintScenarios,
];
