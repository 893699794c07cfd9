// Per-client-address token buckets: `burst` requests at once, refilled at `perSecond`. The table
// of addresses is bounded: a full bucket is the same as no entry, so full ones are dropped first.

const MAX_ADDRESSES = 65_536;

interface Bucket {
  tokens: number;
  atMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /** Take one token for `address`: 0 when allowed, else the whole seconds to wait (≥ 1). */
  take(address: string, nowMs: number): number {
    const b = this.refilled(address, nowMs);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perSecond));
  }

  private refilled(address: string, nowMs: number): Bucket {
    let b = this.buckets.get(address);
    if (b === undefined) {
      if (this.buckets.size >= MAX_ADDRESSES) this.forgetFull(nowMs);
      b = { tokens: this.burst, atMs: nowMs };
      this.buckets.set(address, b);
      return b;
    }
    const elapsed = Math.max(0, nowMs - b.atMs) / 1000;
    b.tokens = Math.min(this.burst, b.tokens + elapsed * this.perSecond);
    b.atMs = nowMs;
    return b;
  }

  /** Drop every bucket that has refilled (forgetting it changes nothing); if none has, the oldest. */
  private forgetFull(nowMs: number): void {
    for (const [a, b] of this.buckets) {
      if (b.tokens + ((nowMs - b.atMs) / 1000) * this.perSecond >= this.burst) this.buckets.delete(a);
    }
    if (this.buckets.size >= MAX_ADDRESSES) {
      const oldest = this.buckets.keys().next();
      if (oldest.done !== true) this.buckets.delete(oldest.value);
    }
  }
}
