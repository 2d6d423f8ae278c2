import { setCurrentDetails, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import { currentDetails, fleetSummary } from '../domain/fleet';
import { ConveyorPaused, ConveyorService, ConveyorStage } from '../temporal/search-attributes';
import type { PipelineState } from './pipeline-state';

/** How stale the fleet memo's observedAt may get while nothing else changes. */
const MEMO_REFRESH_MS = 10 * 60_000;

/**
 * What the Web UI and the `temporal` CLI see of a pipeline without a query: its current details,
 * the fleet memo (the dashboard's list) and the search attributes. Each is written only when it changed.
 */
export function publisher(state: PipelineState): () => void {
  let published = '';
  let memo = '';
  let memoAt = 0;
  return () => {
    const status = state.safeStatus();
    setCurrentDetails(currentDetails(status));
    const fleet = fleetSummary(status, state.service.repo);
    // A look that changed nothing but observedAt costs no history event; observedAt is brought up
    // to date with the next real change, or every MEMO_REFRESH_MS.
    const text = JSON.stringify({ ...fleet, observedAt: null });
    const now = Date.now();
    if (text !== memo || now - memoAt >= MEMO_REFRESH_MS) {
      memo = text;
      memoAt = now;
      upsertMemo({ fleet });
    }
    const stage = state.currentStage()?.stage ?? '';
    const key = `${state.holds.paused}|${stage}`;
    if (key === published) return;
    published = key;
    upsertSearchAttributes([
      { key: ConveyorService, value: state.service.name },
      { key: ConveyorPaused, value: state.holds.paused },
      ...(stage ? [{ key: ConveyorStage, value: stage }] : []),
    ]);
  };
}
