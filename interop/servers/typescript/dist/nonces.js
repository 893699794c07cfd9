"use strict";
// Login challenges that cost the server nothing to keep (docs/wire-contract.md §4): a nonce is
// 0x01 ‖ issuedAt (u64 BE, epoch ms) ‖ 32 random bytes ‖ HMAC-SHA256 tag over the key it was issued
// for and those 41 bytes. Checking it needs only the server's nonce key; the store records a nonce
// only when a login with it succeeds (replay refusal until it expires).
Object.defineProperty(exports, "__esModule", { value: true });
exports.Challenges = exports.NONCE_LEN = void 0;
exports.nonceKeyFromSeed = nonceKeyFromSeed;
const node_crypto_1 = require("node:crypto");
const VERSION = 0x01;
const SIGNED_LEN = 1 + 8 + 32;
exports.NONCE_LEN = SIGNED_LEN + 32;
const DOMAIN = Buffer.from("avp/challenge-nonce/v1\0", "ascii");
/** A nonce stamped this far in our future (a clock step back) is still honoured. */
const MAX_FUTURE_SKEW_MS = 5_000;
/** The nonce key, derived from the server's signing seed so that it survives a restart with it. */
function nonceKeyFromSeed(seed) {
    return Buffer.from((0, node_crypto_1.hkdfSync)("sha256", seed, Buffer.alloc(0), "avp/challenge-nonce-key/v1", 32));
}
class Challenges {
    key;
    ttlSeconds;
    constructor(key, ttlSeconds) {
        this.key = key;
        this.ttlSeconds = ttlSeconds;
    }
    issue(publicKey, nowMs) {
        const nonce = Buffer.alloc(exports.NONCE_LEN);
        nonce[0] = VERSION;
        nonce.writeBigUInt64BE(BigInt(nowMs), 1);
        (0, node_crypto_1.randomBytes)(32).copy(nonce, 9);
        this.tag(publicKey, nonce.subarray(0, SIGNED_LEN)).copy(nonce, SIGNED_LEN);
        return nonce;
    }
    /** The nonce's identity and expiry if this server issued it for `publicKey` and it is live; else null. */
    check(nonce, publicKey, nowMs) {
        if (nonce.length !== exports.NONCE_LEN || nonce[0] !== VERSION)
            return null;
        const buf = Buffer.from(nonce.buffer, nonce.byteOffset, nonce.length);
        if (!(0, node_crypto_1.timingSafeEqual)(this.tag(publicKey, buf.subarray(0, SIGNED_LEN)), buf.subarray(SIGNED_LEN)))
            return null;
        const issuedAt = Number(buf.readBigUInt64BE(1));
        const expiresAtMs = issuedAt + this.ttlSeconds * 1000;
        if (nowMs >= expiresAtMs || issuedAt > nowMs + MAX_FUTURE_SKEW_MS)
            return null;
        return { id: Buffer.from(buf.subarray(9, SIGNED_LEN)), expiresAtMs };
    }
    tag(publicKey, signed) {
        return (0, node_crypto_1.createHmac)("sha256", this.key).update(DOMAIN).update(publicKey).update(signed).digest();
    }
}
exports.Challenges = Challenges;
