/**
 * The Temporal server reads timers `history.timerProcessorMaxTimeShift` ahead (1 s by default) and
 * moves a timer created inside that stretch to its end, so a timer shorter than a second fires about
 * a second after it was set (a 1 ms timer at about 980 ms on the 1.29 dev server). conveyor's short
 * timers must fire on time: a window opening or a soak ending moments after a look, the catch-up
 * before a decision. The servers conveyor starts read 10 ms ahead; a server run by its operators
 * takes the same setting (docs/operating/production.md).
 */
export const TIMER_SHIFT_SETTING = 'history.timerProcessorMaxTimeShift';
export const TIMER_SHIFT = '10ms';

/** The dev server's `--dynamic-config-value`, unless the caller set the shift itself. */
export function preciseTimers(dynamicConfig: readonly string[] = []): string[] {
  const chosen = dynamicConfig.some((value) => value.startsWith(`${TIMER_SHIFT_SETTING}=`));
  return chosen ? [...dynamicConfig] : [...dynamicConfig, `${TIMER_SHIFT_SETTING}="${TIMER_SHIFT}"`];
}

/** The same setting in a dynamic config file (the self-hosted cluster's). */
export const preciseTimersFile = { [TIMER_SHIFT_SETTING]: [{ value: TIMER_SHIFT, constraints: {} }] };
