/**
 * The dynamic config conveyor gives every Temporal server it starts (the dev server, `npm run
 * cluster`, `docker-compose.yml` through deploy/temporal/dynamicconfig.yaml); docs/operating/production.md
 * gives self-hosted servers the same lines.
 */
/** How far ahead the server reads timers (see its entry below). */
export const TIMER_SHIFT_KEY = 'history.timerProcessorMaxTimeShift';

export const SERVER_SETTINGS: readonly { key: string; value: string | boolean; why: string }[] = [
  {
    // A 1 ms timer fired about 980 ms after it was set on the 1.29 dev server (bench/timer-precision).
    key: TIMER_SHIFT_KEY,
    value: '10ms',
    why:
      'the server reads timers this far ahead (1 s by default) and moves a timer set inside that stretch to its end, ' +
      'so a window opening or a soak ending moments after a look, and the catch-up before a decision, waited up to a second more',
  },
  {
    key: 'system.enableActivityEagerExecution',
    value: true,
    why:
      'the workflow task that decides a promotion gets its promote activity back in the same answer, ' +
      'instead of through the task queue (off by default)',
  },
];

/** The dev server's `--dynamic-config-value`s: conveyor's settings, except those the caller set itself. */
export function devServerSettings(dynamicConfig: readonly string[] = []): string[] {
  const own = SERVER_SETTINGS.filter(({ key }) => !dynamicConfig.some((value) => value.startsWith(`${key}=`)));
  return [...dynamicConfig, ...own.map(({ key, value }) => `${key}=${JSON.stringify(value)}`)];
}

/** The same settings as a dynamic config file (the self-hosted cluster's). */
export const serverSettingsFile: Record<string, { value: string | boolean; constraints: object }[]> =
  Object.fromEntries(SERVER_SETTINGS.map(({ key, value }) => [key, [{ value, constraints: {} }]]));
