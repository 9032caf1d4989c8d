import type { z } from 'zod';
import { policySchema, type Policy } from './schema.js';

export interface PolicyIssue {
  /** Dotted path with indices in brackets, e.g. `sites.B01.departures[1]`; empty for the root. */
  path: string;
  message: string;
}

/** A policy that failed validation; the message lists every problem, one `path: message` a line. */
export class PolicyValidationError extends Error {
  constructor(readonly issues: PolicyIssue[], source?: string) {
    const where = source ? ` (${source})` : '';
    super(`invalid policy${where}:\n${issues.map((issue) => `  ${formatIssue(issue)}`).join('\n')}`);
    this.name = 'PolicyValidationError';
  }
}

export function formatIssue(issue: PolicyIssue): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

/** `['sites', 'B01', 'departures', 1]` → `sites.B01.departures[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, key) => {
    if (typeof key === 'number') return `${text}[${key}]`;
    return text ? `${text}.${String(key)}` : String(key);
  }, '');
}

function toIssues(error: z.ZodError): PolicyIssue[] {
  return error.issues.map((issue) => {
    // An unknown key is reported on its parent object: name the key itself, which is what needs fixing.
    if (issue.code === 'unrecognized_keys') {
      return issue.keys.map((key) => ({ path: formatPath([...issue.path, key]), message: 'unknown setting' }));
    }
    // A bad record key (a site code) comes wrapped; its own messages say what is wrong with it.
    if (issue.code === 'invalid_key') {
      return [{ path: formatPath(issue.path), message: issue.issues.map((inner) => inner.message).join('; ') }];
    }
    return [{ path: formatPath(issue.path), message: issue.message }];
  }).flat();
}

/**
 * Validates a parsed policy document and fills in the defaults. Throws a PolicyValidationError naming the
 * path of every invalid field; `source` (a file name) only decorates the message.
 */
export function loadPolicy(json: unknown, source?: string): Policy {
  const result = policySchema.safeParse(json);
  if (!result.success) {
    throw new PolicyValidationError(toIssues(result.error), source);
  }
  return result.data;
}
