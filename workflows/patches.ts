/**
 * Every workflow change behind `patched()`, with when it can go. A patch is deprecated
 * (`deprecatePatch`) once no workflow started before it runs any more (for these forever-running
 * workflows: once every pipeline has continued-as-new on the version that has it, about one
 * history's length), then removed one release later with its recorded history moved out of
 * test/histories. The README's patch table lists the same (test/unit/patches.test.ts checks it).
 */
export const PATCHES = {
  'read-freeze-at-start': { since: '0.1', workflow: 'pipeline' },
  'watch-pending-releases': { since: '0.1', workflow: 'pipeline' },
  'platform-checks': { since: '0.1', workflow: 'pipeline' },
  'wait-for-pending-targets': { since: '0.1', workflow: 'pipeline' },
  'freeze-told-at-once': { since: '0.2', workflow: 'control' },
  'freeze-memo': { since: '0.2', workflow: 'control' },
  'carried-freeze-stands': { since: '0.2', workflow: 'pipeline' },
  'soak-from-start': { since: '0.2', workflow: 'pipeline' },
  'confirm-before-post': { since: '0.2', workflow: 'pipeline' },
  'manual-request-deadline': { since: '0.2', workflow: 'pipeline' },
  'fleet-memo': { since: '0.2', workflow: 'pipeline' },
  'webhook-slow-poll': { since: '0.3', workflow: 'pipeline' },
  'observe-while-draining': { since: '0.3', workflow: 'pipeline' },
  'fresh-health-at-confirm': { since: '0.3', workflow: 'pipeline' },
  'pay-for-change': { since: '0.3', workflow: 'pipeline' },
} as const satisfies Record<string, { since: string; workflow: 'pipeline' | 'control' }>;

export type PatchId = keyof typeof PATCHES;
