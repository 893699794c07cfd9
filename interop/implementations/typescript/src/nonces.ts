// Login challenges that cost the server nothing to keep (docs/wire-contract.md §4): a nonce is
// 0x01 ‖ issuedAt (u64 BE, epoch ms) ‖ 32 random bytes ‖ HMAC-SHA256 tag over the key it was issued
// for and those 41 bytes. Checking it needs only the server's nonce key; the store records a nonce
// only when a login with it succeeds (replay refusal until it expires).

import { createHmac, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

const VERSION = 0x01;
const SIGNED_LEN = 1 + 8 + 32;
export const NONCE_LEN = SIGNED_LEN + 32;
const DOMAIN = Buffer.from("avp/challenge-nonce/v1\0", "ascii");
/** A nonce stamped this far in our future (a clock step back) is still honoured. */
const MAX_FUTURE_SKEW_MS = 5_000;

/** The nonce key, derived from the server's signing seed so that it survives a restart with it. */
export function nonceKeyFromSeed(seed: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", seed, Buffer.alloc(0), "avp/challenge-nonce-key/v1", 32));
}

export interface LiveNonce {
  /** The 32 random bytes: what the used-nonce record keeps. */
  id: Buffer;
  expiresAtMs: number;
}

export class Challenges {
  constructor(
    private readonly key: Buffer,
    private readonly ttlSeconds: number,
  ) {}

  issue(publicKey: Uint8Array, nowMs: number): Buffer {
    const nonce = Buffer.alloc(NONCE_LEN);
    nonce[0] = VERSION;
    nonce.writeBigUInt64BE(BigInt(nowMs), 1);
    randomBytes(32).copy(nonce, 9);
    this.tag(publicKey, nonce.subarray(0, SIGNED_LEN)).copy(nonce, SIGNED_LEN);
    return nonce;
  }

  /** The nonce's identity and expiry if this server issued it for `publicKey` and it is live; else null. */
  check(nonce: Uint8Array, publicKey: Uint8Array, nowMs: number): LiveNonce | null {
    if (nonce.length !== NONCE_LEN || nonce[0] !== VERSION) return null;
    const buf = Buffer.from(nonce.buffer, nonce.byteOffset, nonce.length);
    if (!timingSafeEqual(this.tag(publicKey, buf.subarray(0, SIGNED_LEN)), buf.subarray(SIGNED_LEN))) return null;
    const issuedAt = Number(buf.readBigUInt64BE(1));
    const expiresAtMs = issuedAt + this.ttlSeconds * 1000;
    if (nowMs >= expiresAtMs || issuedAt > nowMs + MAX_FUTURE_SKEW_MS) return null;
    return { id: Buffer.from(buf.subarray(9, SIGNED_LEN)), expiresAtMs };
  }

  private tag(publicKey: Uint8Array, signed: Buffer): Buffer {
    return createHmac("sha256", this.key).update(DOMAIN).update(publicKey).update(signed).digest();
  }
}
