// Reads a value at most once per interval, whoever asks, and tells subscribers when it changes.
// The fleet is one of these (one visibility call per interval, however many browsers watch), and
// each service view another (one status query per interval while someone looks at that service).

export type Listener<T> = (value: T) => void;

export class Poller<T> {
  private last: { at: number; value: T; key: string } | undefined;
  /** Counts changes: a page rendered from version N asks its events from N, and catches up if it moved. */
  private changes = 0;
  private reading: Promise<T> | undefined;
  private readonly listeners = new Set<Listener<T>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly intervalMs: number,
    /** Two values with the same key are the same to a person: no event is sent. */
    private readonly key: (value: T) => string = (value) => JSON.stringify(value),
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** The value read within the last interval, or a fresh one. */
  async current(): Promise<T> {
    if (this.last && Date.now() - this.last.at < this.intervalMs) return this.last.value;
    return this.refresh();
  }

  private refresh(): Promise<T> {
    this.reading ??= this.read()
      .then((value) => {
        const key = this.key(value);
        const changed = this.last?.key !== key;
        if (changed) this.changes++;
        this.last = { at: Date.now(), value, key };
        if (changed) for (const listener of this.listeners) listener(value);
        return value;
      })
      .finally(() => (this.reading = undefined));
    return this.reading;
  }

  /** The version of the value `current()` last answered. */
  get version(): number {
    return this.changes;
  }

  /** The value with its version, read within the last interval or fresh. */
  async versioned(): Promise<{ value: T; version: number }> {
    const value = await this.current();
    return { value, version: this.changes };
  }

  get watchers(): number {
    return this.listeners.size;
  }

  /** Polls while someone listens; answers the function that stops listening. */
  subscribe(listener: Listener<T>): () => void {
    this.listeners.add(listener);
    if (!this.timer) {
      const tick = () => {
        this.refresh()
          .catch(this.onError)
          .finally(() => {
            if (this.listeners.size > 0) this.timer = setTimeout(tick, this.intervalMs);
            else this.timer = undefined;
          });
      };
      this.timer = setTimeout(tick, this.intervalMs);
    }
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = undefined;
      }
    };
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
