// Login challenges: 32 random bytes bound to one key, single use, short TTL. A nonce is consumed
// only by a successful verification, so a forged attempt cannot burn a client's nonce.

import { randomBytes } from "node:crypto";

interface Pending {
  key: string;
  expiresAtMs: number;
}

export class NonceBook {
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly ttlSeconds: number) {}

  issue(keyB64: string, nowMs: number): string {
    this.sweep(nowMs);
    const nonce = randomBytes(32).toString("base64");
    this.pending.set(nonce, { key: keyB64, expiresAtMs: nowMs + this.ttlSeconds * 1000 });
    return nonce;
  }

  /** Is `nonce` live and issued for `keyB64`? Does not consume it. */
  isLiveFor(nonce: string, keyB64: string, nowMs: number): boolean {
    const p = this.pending.get(nonce);
    return p !== undefined && p.key === keyB64 && nowMs < p.expiresAtMs;
  }

  consume(nonce: string): void {
    this.pending.delete(nonce);
  }

  // Amortised: drop expired entries when the map has doubled since the last sweep.
  private sweepMark = 1024;
  private sweep(nowMs: number): void {
    if (this.pending.size < this.sweepMark) return;
    for (const [n, p] of this.pending) if (nowMs >= p.expiresAtMs) this.pending.delete(n);
    this.sweepMark = Math.max(1024, this.pending.size * 2);
  }
}
