"use strict";
// Login challenges: 32 random bytes bound to one key, single use, short TTL. A nonce is consumed
// only by a successful verification, so a forged attempt cannot burn a client's nonce.
Object.defineProperty(exports, "__esModule", { value: true });
exports.NonceBook = void 0;
const node_crypto_1 = require("node:crypto");
class NonceBook {
    ttlSeconds;
    pending = new Map();
    constructor(ttlSeconds) {
        this.ttlSeconds = ttlSeconds;
    }
    issue(keyB64, nowMs) {
        this.sweep(nowMs);
        const nonce = (0, node_crypto_1.randomBytes)(32).toString("base64");
        this.pending.set(nonce, { key: keyB64, expiresAtMs: nowMs + this.ttlSeconds * 1000 });
        return nonce;
    }
    /** Is `nonce` live and issued for `keyB64`? Does not consume it. */
    isLiveFor(nonce, keyB64, nowMs) {
        const p = this.pending.get(nonce);
        return p !== undefined && p.key === keyB64 && nowMs < p.expiresAtMs;
    }
    consume(nonce) {
        this.pending.delete(nonce);
    }
    // Amortised: drop expired entries when the map has doubled since the last sweep.
    sweepMark = 1024;
    sweep(nowMs) {
        if (this.pending.size < this.sweepMark)
            return;
        for (const [n, p] of this.pending)
            if (nowMs >= p.expiresAtMs)
                this.pending.delete(n);
        this.sweepMark = Math.max(1024, this.pending.size * 2);
    }
}
exports.NonceBook = NonceBook;
