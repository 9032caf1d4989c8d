import { z } from 'zod';
import {
  CASE_CLASSES,
  CASE_STATES,
  PARTIES,
  REASON_CODES,
  SITE_CODE_PATTERN,
  timestampSchema,
  WAYBILL_NO_PATTERN,
} from '#contracts';

/** Rule ids of rules.md §3 that deadlines and liability records carry: what `rule` may filter on. */
export const RULE_IDS = ['D2', 'D3', 'D4', 'D5', 'D6', 'D7', 'D8', 'D9', 'D10', 'D11', 'C1', 'C2', 'C3', 'S1'] as const;

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** A comma-separated list of allowed values (`state=OPEN,NOTIFIED`). */
function listOf<const T extends readonly [string, ...string[]]>(values: T) {
  const allowed = new Set<string>(values);
  return z
    .string()
    .max(1000, 'is too long')
    .transform((raw, ctx) => {
      const items = [...new Set(raw.split(',').map((item) => item.trim()).filter(Boolean))];
      const unknown = items.filter((item) => !allowed.has(item));
      if (items.length === 0 || unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `${unknown.length ? `unknown value(s) ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}; ` : ''}must be a comma-separated list of ${values.join(', ')}`,
        });
        return z.NEVER;
      }
      return items as T[number][];
    });
}

const booleanFlag = z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true');

/**
 * `GET /api/cases` query. Strict: a misspelt parameter is a 400, not a silently ignored filter. Every value is
 * checked against its vocabulary or pattern, and all reach SQL as bound parameters only.
 */
export const caseListQuerySchema = z.strictObject({
  class: listOf(CASE_CLASSES).optional().describe('case classes, comma-separated'),
  reason: listOf(REASON_CODES as unknown as [string, ...string[]]).optional().describe('reason codes, comma-separated'),
  state: listOf(CASE_STATES).optional().describe('states, comma-separated'),
  open: booleanFlag.optional().describe('true: not RESOLVED or CLOSED; false: RESOLVED or CLOSED'),
  overdue: booleanFlag.optional().describe('has (or has not) a liability in force for a missed deadline'),
  rule: z
    .enum(RULE_IDS, { error: `must be one of ${RULE_IDS.join(', ')}` })
    .optional()
    .describe('has a deadline of this rule; with overdue=true, is overdue on this rule'),
  site: z.string().regex(SITE_CODE_PATTERN, 'must match [A-Za-z0-9_-]{1,32}').optional().describe('the site is its OB, DB or registering site'),
  liableParty: z
    .enum(PARTIES, { error: `must be one of ${PARTIES.join(', ')}` })
    .optional()
    .describe('a liability in force names this party (HQ reviews applied)'),
  waybillNo: z.string().regex(WAYBILL_NO_PATTERN, 'must match [A-Z0-9]{8,20}').optional(),
  openedFrom: timestampSchema.optional().describe('opened at or after (ISO-8601 with offset)'),
  openedTo: timestampSchema.optional().describe('opened before (ISO-8601 with offset)'),
  limit: z
    .string()
    .regex(/^\d{1,4}$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().min(1, 'must be at least 1').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`))
    .optional()
    .describe(`page size (default ${DEFAULT_PAGE_SIZE})`),
  cursor: z.string().max(512, 'is not a cursor returned by this API').optional().describe('nextCursor of the previous page'),
});
export type CaseListQuery = z.output<typeof caseListQuerySchema>;

/**
 * Position after the last row of a page in the list order (next due time ascending, no due time last, then case
 * id). The due time is kept as PostgreSQL printed it, to the microsecond, so the next page starts exactly after it.
 */
export interface CaseCursor {
  due: string | null;
  caseId: string;
}

const cursorSchema = z.strictObject({
  d: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/).nullable(),
  i: z.string().min(1).max(256),
});

export function encodeCursor(cursor: CaseCursor): string {
  return Buffer.from(JSON.stringify({ d: cursor.due, i: cursor.caseId }), 'utf8').toString('base64url');
}

/** The cursor, or null when the string is not one this API produced. */
export function decodeCursor(raw: string): CaseCursor | null {
  try {
    const parsed = cursorSchema.safeParse(JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')));
    return parsed.success ? { due: parsed.data.d, caseId: parsed.data.i } : null;
  } catch {
    return null;
  }
}
