/**
 * The sandbox's delayed work (release phases, promotions): every timer it starts is cancelled by
 * `stop()`, so a stopped sandbox leaves nothing behind to keep the process alive or change state.
 */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  after(ms: number, task: () => void): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      try {
        task();
      } catch (error) {
        console.error('[sandbox] scheduled task failed:', error);
      }
    }, ms);
    this.timers.add(timer);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
