/**
 * Wave: the apps of one stage, promoted together from the wave before. A plain app name in the
 * services file is a wave of one, so a chain of stages is a list of waves of one app each.
 *
 * The wave rule says when a release may leave a wave: once it has soaked on every app of it
 * ("all", the default), on any one of them ("any"), or on N of every M of them ("N of M", counted
 * up, at least one). Whatever the rule, a release that failed or was rolled back on any app of a
 * wave does not go on.
 */

export type WaveRule = { kind: 'all' } | { kind: 'any' } | { kind: 'share'; n: number; m: number };

export const WAVE_RULE_FORM = '"all", "any" or "N of M" such as "2 of 3"';

/** The rule a services file names, or undefined when the text is not one. */
export function parseWaveRule(text: string | undefined): WaveRule | undefined {
  const written = (text ?? 'all').trim().toLowerCase();
  if (written === 'all') return { kind: 'all' };
  if (written === 'any') return { kind: 'any' };
  const share = /^(\d{1,3})\s+of\s+(\d{1,3})$/.exec(written);
  if (!share) return undefined;
  const [n, m] = [Number(share[1]), Number(share[2])];
  return n >= 1 && n <= m ? { kind: 'share', n, m } : undefined;
}

/** Why a rule's text is refused, in one line; undefined when it reads. */
export function waveRuleProblem(text: string): string | undefined {
  if (parseWaveRule(text)) return undefined;
  const share = /^\s*(\d+)\s+of\s+(\d+)\s*$/i.exec(text);
  if (share && Number(share[1]) > Number(share[2]))
    return `"${text}" asks for more apps than it counts: N must be at most M`;
  if (share && Number(share[1]) < 1) return `"${text}" asks for no app at all: N must be at least 1`;
  return `must be ${WAVE_RULE_FORM}, not "${text}"`;
}

/** How many apps of a wave of `size` the release must have soaked on before it leaves the wave. */
export function appsNeeded(rule: WaveRule, size: number): number {
  if (size <= 0) return 0;
  switch (rule.kind) {
    case 'all':
      return size;
    case 'any':
      return 1;
    case 'share':
      return Math.min(size, Math.max(1, Math.ceil((size * rule.n) / rule.m)));
  }
}

/** The stages of a services file: an app, or a list of apps promoted together. */
export type StageEntry = string | readonly string[];

/** The waves of stage entries: a plain app name is a wave of one. */
export const wavesOfEntries = (entries: readonly StageEntry[]): string[][] =>
  entries.map((entry) => (typeof entry === 'string' ? [entry] : [...entry]));

/** One problem with a list of waves, where it is (indices into `stages`) and what is wrong. */
export interface WaveProblem {
  path: number[];
  message: string;
}

/**
 * What is wrong with the waves of a services file: an empty wave, an app named twice (anywhere),
 * a first stage that is a wave of several apps (merges land on one app). Each problem names where.
 */
export function waveProblems(entries: readonly StageEntry[]): WaveProblem[] {
  const problems: WaveProblem[] = [];
  const seen = new Map<string, string>();
  const where = (i: number, j: number | null) => (j === null ? `stages[${i}]` : `stages[${i}][${j}]`);
  entries.forEach((entry, i) => {
    if (typeof entry !== 'string') {
      if (entry.length === 0) problems.push({ path: [i], message: 'an empty wave: a wave needs at least one app' });
      else if (i === 0 && entry.length > 1)
        problems.push({
          path: [i],
          message: `the first stage must be one app, where merges land, not a wave of ${entry.length} (${entry.join(', ')})`,
        });
    }
    const apps = typeof entry === 'string' ? [[entry, null] as const] : entry.map((app, j) => [app, j] as const);
    for (const [app, j] of apps) {
      const before = seen.get(app);
      if (before)
        problems.push({ path: j === null ? [i] : [i, j], message: `"${app}" is named twice (already at ${before})` });
      else seen.set(app, where(i, j));
    }
  });
  return problems;
}
