/**
 * Extra node options for the processes the bench spawns (its workers and the baseline), from
 * BENCH_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/profiles` to see where a worker's CPU goes
 * (NODE_OPTIONS refuses --cpu-prof).
 */
export function nodeArgs(): string[] {
  return (process.env.BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
}
