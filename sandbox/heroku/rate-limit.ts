/**
 * Heroku's API rate limit: a bucket of tokens per API token, each call takes one, and the bucket
 * refills continuously (75 a minute by default) up to its size (4,500).
 */

export interface RateLimitSettings {
  bucket: number;
  refillPerMinute: number;
}

export interface RateLimitChange {
  /** Sets every bucket's level now (it refills from there). */
  remaining?: number;
  bucket?: number;
  refillPerMinute?: number;
}

export const HEROKU_RATE_LIMIT: RateLimitSettings = { bucket: 4500, refillPerMinute: 75 };

export class TokenBucket {
  private level: number;
  private at: number;

  constructor(
    private settings: RateLimitSettings,
    private readonly now: () => number = Date.now,
  ) {
    this.level = settings.bucket;
    this.at = now();
  }

  /** Takes one token; false when there is none. */
  take(): boolean {
    this.refill();
    if (this.level < 1) return false;
    this.level -= 1;
    return true;
  }

  /** Whole tokens left, as `RateLimit-Remaining` reports them. */
  remaining(): number {
    this.refill();
    return Math.floor(this.level);
  }

  change(change: RateLimitChange, settings: RateLimitSettings): void {
    this.refill();
    this.settings = settings;
    if (change.remaining !== undefined) this.level = change.remaining;
    this.level = Math.min(this.level, settings.bucket);
  }

  private refill(): void {
    const now = this.now();
    const added = ((now - this.at) / 60_000) * this.settings.refillPerMinute;
    this.level = Math.min(this.settings.bucket, this.level + added);
    this.at = now;
  }
}

export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private settings: RateLimitSettings = HEROKU_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  /** The bucket of one API token, full when first used. */
  bucket(token: string): TokenBucket {
    let bucket = this.buckets.get(token);
    if (!bucket) {
      bucket = new TokenBucket(this.settings, this.now);
      this.buckets.set(token, bucket);
    }
    return bucket;
  }

  /** Changes the settings of every bucket, present and future; `remaining` sets the level of every present one. */
  change(change: RateLimitChange): void {
    const { bucket = this.settings.bucket, refillPerMinute = this.settings.refillPerMinute } = change;
    if (!(bucket >= 0 && refillPerMinute >= 0 && (change.remaining ?? 0) >= 0))
      throw new Error('rate limit settings must not be negative');
    this.settings = { bucket, refillPerMinute };
    for (const existing of this.buckets.values()) existing.change(change, this.settings);
  }

  current(): RateLimitSettings {
    return { ...this.settings };
  }
}
