/**
 * How long a pass's reads may take before it catches up on messages before deciding. The reads
 * run inside one workflow task, which sees no signal sent after it began; past this, a pause or a
 * freeze sent meanwhile is worth a round trip (a timer, which the server may fire up to a second
 * late) before a decision. Below it, the confirmation right before the POST reads the holds afresh.
 */
export const CATCH_UP_AFTER_MS = 1_000;

/** Whether a pass ends its workflow task before deciding: only when something may go, after slow reads. */
export function mustCatchUp(pass: { open: number; readMs: number }): boolean {
  return pass.open > 0 && pass.readMs > CATCH_UP_AFTER_MS;
}
