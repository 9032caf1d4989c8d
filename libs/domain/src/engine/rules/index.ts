/**
 * The deadline rules of rules.md §3, one module per family. `decide` reconciles every case against each of
 * them after every input; the escalation ladder (§7, ../state-machine.ts) runs after them.
 */
import type { RuleId } from '../types.js';
import { c1c3Complaint } from './c1-c3-complaint.js';
import { d11CannotPay } from './d11-cannot-pay.js';
import { d2HubRegistration } from './d2-hub-registration.js';
import { d3BranchRegistration } from './d3-branch-registration.js';
import { d4FailedDeliveryRegistration } from './d4-failed-delivery-registration.js';
import { d5OriginReply } from './d5-origin-reply.js';
import { d6d7AfterReply } from './d6-d7-after-reply.js';
import type { DeadlineRule } from './rule.js';
import { s1Supervisor } from './s1-supervisor.js';

export const DEADLINE_RULES: readonly DeadlineRule[] = [
  d2HubRegistration, // D2   hub registration by 10:00
  d3BranchRegistration, // D3   DB / RB registration within 2 h of theoretical arrival
  d4FailedDeliveryRegistration, // D4   failed attempt registered the same day (D8 phone, D9 target, D10 favourable)
  d5OriginReply, // D5   OB reply within 24 h (NO_REPLY, default procedure)
  d6d7AfterReply, // D6/D7 signed / return dispatched after the instruction
  d11CannotPay, // D11  sender told after the 2nd CANNOT_PAY
  c1c3Complaint, // C1–C3 complaint contact, response, final answer
  s1Supervisor, // S1   supervisor told of DAMAGE / LOSS within 2 h
];

export function deadlineRuleFor(rule: RuleId, extra: readonly DeadlineRule[] = []): DeadlineRule | undefined {
  return [...DEADLINE_RULES, ...extra].find((candidate) => candidate.rules.includes(rule));
}

export type { DeadlineRule, DesiredDeadline, Meeting, MissJudgement } from './rule.js';
