/** The answer of one Gate for one Promotion candidate. */
export interface Verdict {
  gate: string;
  ok: boolean;
  reason: string;
  /** When the verdict may change on its own (a time-based gate opening); ISO 8601. */
  recheckAt?: string;
}

export const pass = (gate: string, reason: string): Verdict => ({ gate, ok: true, reason });
export const hold = (gate: string, reason: string, recheckAt?: number): Verdict =>
  recheckAt === undefined
    ? { gate, ok: false, reason }
    : { gate, ok: false, reason, recheckAt: new Date(recheckAt).toISOString() };
