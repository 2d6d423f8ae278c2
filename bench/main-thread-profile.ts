// A CPU profile of the calling process's main thread, from the inspector (node --cpu-prof writes
// only at a clean exit, which a worker stopped by the bench may not reach): BENCH_PROFILE_DIR.
import { Session } from 'node:inspector/promises';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Starts profiling when `dir` is set; the returned function writes the profile there and stops. */
export async function profileMainThread(dir: string | undefined): Promise<() => Promise<void>> {
  if (!dir) return async () => undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(join(dir, `main-${process.pid}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}
