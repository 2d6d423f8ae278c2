import {
  allHandlersFinished,
  condition,
  continueAsNew,
  proxyActivities,
  setHandler,
  upsertMemo,
  workflowInfo,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { readFreeze, type Freeze } from '../domain/freeze';
import { freezeQuery, freezeSignal, unfreezeSignal } from './messages';

const { broadcastFreeze } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { initialInterval: '1s', maximumInterval: '10s' },
});

/** Visibility may lag a pipeline started moments ago: a second pass reaches it. */
const SECOND_PASS_MS = 5_000;

/**
 * The singleton that holds the company-wide freeze. Each change is passed on to every running
 * pipeline at once; pipelines that start later ask it (see readFreeze).
 */
export async function control(input: { freeze?: Freeze | null } = {}): Promise<void> {
  let freeze: Freeze | null = input.freeze ?? null;
  let changes = 0;
  setHandler(freezeSignal, (request) => {
    freeze = readFreeze(request, Date.now());
    changes++;
  });
  setHandler(unfreezeSignal, () => {
    freeze = null;
    changes++;
  });
  setHandler(freezeQuery, () => freeze);

  let told = 0;
  upsertMemo({ freeze });
  while (!workflowInfo().continueAsNewSuggested) {
    await condition(() => changes !== told || workflowInfo().continueAsNewSuggested);
    if (changes === told) break;
    told = changes;
    // Kept in the memo too: a pipeline starting up reads it from the server, with no worker needed.
    upsertMemo({ freeze });
    await broadcastFreeze(freeze);
    // The second pass must not delay a change that arrives meanwhile: that change is told at once.
    if (!(await condition(() => changes !== told, SECOND_PASS_MS))) await broadcastFreeze(freeze);
  }
  await condition(allHandlersFinished);
  await continueAsNew<typeof control>({ freeze });
}
