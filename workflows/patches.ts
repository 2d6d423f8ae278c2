/**
 * Every workflow change behind `patched()`, with the version it came in. Before 1.0.0 there are
 * none: a change to workflow commands re-records test/histories instead (see CHANGELOG.md). From
 * 1.0.0 on, each change of commands is registered here and called as `patched('id' satisfies
 * PatchId)`, so a mistyped id does not compile; the README's patch table lists the same
 * (test/unit/patches.test.ts checks it). A patch is deprecated (`deprecatePatch`) once every pipeline
 * has continued-as-new on a version that has it, and removed one release after that.
 */
export interface Patch {
  /** The conveyor version the change came in. */
  since: string;
  workflow: 'pipeline' | 'control';
}

export const PATCHES = {} as const satisfies Record<string, Patch>;

export type PatchId = keyof typeof PATCHES;
