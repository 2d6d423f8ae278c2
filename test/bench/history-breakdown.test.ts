import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { historyBreakdown, splitOpening, type HistoryEvent } from '../../bench/history-breakdown';

const T0 = Date.parse('2026-12-07T00:00:00Z');
const at = (ms: number, eventType: string): HistoryEvent => ({
  eventType: `EVENT_TYPE_${eventType}`,
  eventTime: new Date(T0 + ms).toISOString(),
});

// A signal, the pass's workflow task, the promote activity, its confirmation's task, then the POST.
const resumed: HistoryEvent[] = [
  at(-5_000, 'WORKFLOW_TASK_COMPLETED'),
  at(40, 'WORKFLOW_EXECUTION_SIGNALED'),
  at(40, 'WORKFLOW_TASK_SCHEDULED'),
  at(140, 'WORKFLOW_TASK_STARTED'),
  at(400, 'WORKFLOW_TASK_COMPLETED'),
  at(400, 'ACTIVITY_TASK_SCHEDULED'),
  at(400, 'ACTIVITY_TASK_STARTED'),
  at(450, 'WORKFLOW_TASK_SCHEDULED'),
  at(600, 'WORKFLOW_TASK_STARTED'),
  at(620, 'WORKFLOW_TASK_COMPLETED'),
  at(620, 'WORKFLOW_EXECUTION_UPDATE_ACCEPTED'),
];

describe('the bench splits an event’s wait at the history’s timestamps', () => {
  test('each step of a resume to its POST is told apart', () => {
    assert.deepEqual(splitOpening(resumed, { workflowId: 'w', at: T0, postAt: T0 + 700 }), {
      arrive: 40,
      queued: 100 + 150,
      worker: 260 + 20,
      activity: 50,
      'to POST': 80,
    });
  });

  test('a workflow task already waiting when the event came counts from the event', () => {
    const events = [at(-30, 'WORKFLOW_TASK_SCHEDULED'), at(10, 'TIMER_FIRED'), at(60, 'WORKFLOW_TASK_STARTED')];
    assert.equal(splitOpening(events, { workflowId: 'w', at: T0, postAt: T0 + 100 })?.queued, 60);
  });

  test('an opening with no history event inside it is left out', () => {
    assert.equal(splitOpening(resumed, { workflowId: 'w', at: T0 + 10_000, postAt: T0 + 11_000 }), null);
    assert.equal(historyBreakdown(new Map([['w', resumed]]), [{ workflowId: 'x', at: T0, postAt: T0 + 700 }]), null);
  });

  test('the breakdown gives p50 and p99 of each step and of the whole wait', () => {
    const b = historyBreakdown(new Map([['w', resumed]]), [{ workflowId: 'w', at: T0, postAt: T0 + 700 }]);
    assert.equal(b?.events, 1);
    assert.deepEqual(b?.steps.total, [700, 700]);
    assert.deepEqual(b?.steps.queued, [250, 250]);
  });
});
