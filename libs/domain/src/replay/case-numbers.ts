import type { ProblemCase, WaybillState } from '../engine/types.js';

const MONTH_KEY = /^\d{4}(0[1-9]|1[0-2])$/;
const MAX_SERIAL = 9_999_999;

/** `PI-YYYYMM-NNNNNNN` (§7): the serial is per month of the opening event's local time, 7 digits. */
export function formatCaseNo(month: string, serial: number): string {
  if (!MONTH_KEY.test(month)) {
    throw new RangeError(`case-number month must be YYYYMM, got "${month}"`);
  }
  if (!Number.isInteger(serial) || serial < 1 || serial > MAX_SERIAL) {
    throw new RangeError(`case-number serial must be an integer 1..${MAX_SERIAL}, got ${serial}`);
  }
  return `PI-${month}-${String(serial).padStart(7, '0')}`;
}

const CASE_NO = /^PI-(\d{6})-(\d{7})$/;

/** The month and serial of a case number, or null when it is not one. */
export function parseCaseNo(caseNo: string): { month: string; serial: number } | null {
  const match = CASE_NO.exec(caseNo);
  if (!match || !MONTH_KEY.test(match[1]) || Number(match[2]) === 0) return null;
  return { month: match[1], serial: Number(match[2]) };
}

/** Hands out serials 1, 2, 3 … per month key: the in-memory counterpart of the database sequence. */
export function createCaseNumberSequence(): (month: string) => number {
  const lastSerial = new Map<string, number>();
  return (month) => {
    const serial = (lastSerial.get(month) ?? 0) + 1;
    lastSerial.set(month, serial);
    return serial;
  };
}

/**
 * Gives every case still without a number (the engine leaves `caseNo` null) the next serial of its
 * `caseNoMonth`, in order of opening (`openedAt`, then position in the state). Returns the same state
 * object when nothing needed a number, else a copy: the input is never mutated.
 */
export function assignCaseNumbers(state: WaybillState, next: (month: string) => number): WaybillState {
  const unnumbered = state.cases
    .map((c, index) => ({ c, index }))
    .filter(({ c }) => c.caseNo === null)
    .sort((a, b) => compareStrings(a.c.openedAt, b.c.openedAt) || a.index - b.index);
  if (unnumbered.length === 0) {
    return state;
  }
  const numbered = new Map<number, ProblemCase>();
  for (const { c, index } of unnumbered) {
    numbered.set(index, { ...c, caseNo: formatCaseNo(c.caseNoMonth, next(c.caseNoMonth)) });
  }
  return { ...state, cases: state.cases.map((c, index) => numbered.get(index) ?? c) };
}

// openedAt is a UTC ISO string of fixed shape, so code-unit order is time order (localeCompare is not guaranteed to be).
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
