// How much the worker keeps in memory follows the memory it has. The SDK sizes its workflow cache
// from V8's heap limit, which on a dyno or in a container reflects the host's memory, not the
// dyno's (512 MB on a standard-1X): told the dyno's memory, the same rule keeps the worker inside it.
import { SettingsError } from '../config/settings-error';

export interface WorkerMemory {
  /** The memory the worker may use, in MB: CONVEYOR_MEMORY_MB, else Heroku's MEMORY_AVAILABLE; none: the SDK decides. */
  memoryMb?: number;
  /** Workflows kept in the sticky cache (each cached pipeline answers its next task without replaying its history). */
  maxCachedWorkflows?: number;
}

/** The SDK's own rule (one V8 context shared by every workflow): 600 cached workflows a GB beyond the first 200 MB, at least 10. */
export const cachedWorkflowsFor = (memoryMb: number): number =>
  Math.max(Math.floor((Math.max(memoryMb - 200, 0) * 600) / 1024), 10);

const whole = (name: string, text: string | undefined, min: number): number | undefined => {
  if (!text) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min)
    throw new SettingsError(`${name} '${text}' is not a whole number of at least ${min}`);
  return n;
};

export function workerMemory(env: NodeJS.ProcessEnv = process.env): WorkerMemory {
  const cached = whole('CONVEYOR_MAX_CACHED_WORKFLOWS', env.CONVEYOR_MAX_CACHED_WORKFLOWS, 0);
  const memoryMb =
    whole('CONVEYOR_MEMORY_MB', env.CONVEYOR_MEMORY_MB, 64) ?? whole('MEMORY_AVAILABLE', env.MEMORY_AVAILABLE, 1);
  const maxCachedWorkflows = cached ?? (memoryMb !== undefined ? cachedWorkflowsFor(memoryMb) : undefined);
  return {
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
  };
}
