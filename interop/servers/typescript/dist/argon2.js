"use strict";
// Argon2id (RFC 9106, version 0x13) and the BLAKE2b it is built on (RFC 7693), in plain BigInt
// arithmetic: node:crypto on Node 20 has neither Argon2 nor a BLAKE2b with a chosen output length.
// Written for checking sealed-identity vectors (cheap parameters); it is far too slow for real
// 64 MiB derivations and nothing in the server or the actor's protocol path uses it.
Object.defineProperty(exports, "__esModule", { value: true });
exports.blake2b = blake2b;
exports.argon2id = argon2id;
const MASK64 = (1n << 64n) - 1n;
const IV = [
    0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn, 0xa54ff53a5f1d36f1n,
    0x510e527fade682d1n, 0x9b05688c2b3e6c1fn, 0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n,
];
const SIGMA = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & MASK64;
function readWords(bytes, count) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return Array.from({ length: count }, (_, i) => view.getBigUint64(i * 8, true));
}
/** BLAKE2b with an `outLen`-byte digest (1..64), unkeyed. */
function blake2b(data, outLen) {
    if (outLen < 1 || outLen > 64)
        throw new RangeError("BLAKE2b output is 1..64 bytes");
    const h = IV.slice();
    h[0] = h[0] ^ 0x01010000n ^ BigInt(outLen);
    const blocks = Math.max(1, Math.ceil(data.length / 128));
    for (let b = 0; b < blocks; b++) {
        const chunk = new Uint8Array(128);
        chunk.set(data.subarray(b * 128, b * 128 + 128));
        const last = b === blocks - 1;
        const counter = BigInt(last ? data.length : (b + 1) * 128);
        const m = readWords(chunk, 16);
        const v = [...h, ...IV];
        v[12] = v[12] ^ (counter & MASK64);
        v[13] = v[13] ^ (counter >> 64n);
        if (last)
            v[14] = v[14] ^ MASK64;
        for (let r = 0; r < 12; r++) {
            const s = SIGMA[r % 10];
            const g = (a, bb, c, d, x, y) => {
                v[a] = (v[a] + v[bb] + x) & MASK64;
                v[d] = rotr(v[d] ^ v[a], 32n);
                v[c] = (v[c] + v[d]) & MASK64;
                v[bb] = rotr(v[bb] ^ v[c], 24n);
                v[a] = (v[a] + v[bb] + y) & MASK64;
                v[d] = rotr(v[d] ^ v[a], 16n);
                v[c] = (v[c] + v[d]) & MASK64;
                v[bb] = rotr(v[bb] ^ v[c], 63n);
            };
            const w = (i) => m[s[i]];
            g(0, 4, 8, 12, w(0), w(1));
            g(1, 5, 9, 13, w(2), w(3));
            g(2, 6, 10, 14, w(4), w(5));
            g(3, 7, 11, 15, w(6), w(7));
            g(0, 5, 10, 15, w(8), w(9));
            g(1, 6, 11, 12, w(10), w(11));
            g(2, 7, 8, 13, w(12), w(13));
            g(3, 4, 9, 14, w(14), w(15));
        }
        for (let i = 0; i < 8; i++)
            h[i] = h[i] ^ v[i] ^ v[i + 8];
    }
    const out = Buffer.alloc(64);
    h.forEach((x, i) => out.writeBigUInt64LE(x, i * 8));
    return out.subarray(0, outLen);
}
const le32 = (n) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
};
/** H' (RFC 9106 §3.3): BLAKE2b stretched to `outLen` bytes. */
function hPrime(outLen, input) {
    const x = Buffer.concat([le32(outLen), input]);
    if (outLen <= 64)
        return blake2b(x, outLen);
    const r = Math.ceil(outLen / 32) - 2;
    const parts = [];
    let v = blake2b(x, 64);
    parts.push(v.subarray(0, 32));
    for (let i = 2; i <= r; i++) {
        v = blake2b(v, 64);
        parts.push(v.subarray(0, 32));
    }
    parts.push(blake2b(v, outLen - 32 * r));
    return Buffer.concat(parts);
}
const mul32 = (a, b) => ((a & 0xffffffffn) * (b & 0xffffffffn)) << 1n;
function gb(v, a, b, c, d) {
    v[a] = (v[a] + v[b] + mul32(v[a], v[b])) & MASK64;
    v[d] = rotr(v[d] ^ v[a], 32n);
    v[c] = (v[c] + v[d] + mul32(v[c], v[d])) & MASK64;
    v[b] = rotr(v[b] ^ v[c], 24n);
    v[a] = (v[a] + v[b] + mul32(v[a], v[b])) & MASK64;
    v[d] = rotr(v[d] ^ v[a], 16n);
    v[c] = (v[c] + v[d] + mul32(v[c], v[d])) & MASK64;
    v[b] = rotr(v[b] ^ v[c], 63n);
}
/** The permutation P on 16 words picked out of `r` by `idx`. */
function permute(r, idx) {
    const v = idx.map((i) => r[i]);
    gb(v, 0, 4, 8, 12);
    gb(v, 1, 5, 9, 13);
    gb(v, 2, 6, 10, 14);
    gb(v, 3, 7, 11, 15);
    gb(v, 0, 5, 10, 15);
    gb(v, 1, 6, 11, 12);
    gb(v, 2, 7, 8, 13);
    gb(v, 3, 4, 9, 14);
    idx.forEach((i, k) => (r[i] = v[k]));
}
const ROWS = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, k) => 16 * i + k));
const COLS = Array.from({ length: 8 }, (_, i) => Array.from({ length: 16 }, (_, k) => 2 * i + (k & 1) + 16 * (k >> 1)));
/** The compression G(X, Y) = P(X ⊕ Y) ⊕ (X ⊕ Y), XORed into `out` when `xor` (version 0x13 passes > 0). */
function compress(x, y, out, xor) {
    const r = new BigUint64Array(128);
    for (let i = 0; i < 128; i++)
        r[i] = x[i] ^ y[i];
    const q = r.slice();
    for (const row of ROWS)
        permute(q, row);
    for (const col of COLS)
        permute(q, col);
    for (let i = 0; i < 128; i++) {
        const z = q[i] ^ r[i];
        out[i] = xor ? out[i] ^ z : z;
    }
}
const blockFromBytes = (b) => BigUint64Array.from(readWords(b, 128));
const blockToBytes = (blk) => {
    const out = Buffer.alloc(1024);
    blk.forEach((w, i) => out.writeBigUInt64LE(w, i * 8));
    return out;
};
const ARGON2ID = 2;
const VERSION = 0x13;
const SYNC_POINTS = 4;
function argon2id(password, salt, p) {
    const lanes = p.parallelism;
    if (lanes < 1 || p.iterations < 1 || p.memoryKib < 8 * lanes || salt.length < 8 || p.tagLength < 4) {
        throw new RangeError("Argon2id parameters out of range");
    }
    const secret = p.secret ?? new Uint8Array(0);
    const ad = p.associatedData ?? new Uint8Array(0);
    const h0 = blake2b(Buffer.concat([
        le32(lanes), le32(p.tagLength), le32(p.memoryKib), le32(p.iterations), le32(VERSION), le32(ARGON2ID),
        le32(password.length), password, le32(salt.length), salt, le32(secret.length), secret, le32(ad.length), ad,
    ]), 64);
    const blocks = 4 * lanes * Math.floor(p.memoryKib / (4 * lanes));
    const laneLength = blocks / lanes;
    const segment = laneLength / SYNC_POINTS;
    const mem = Array.from({ length: blocks }, () => new BigUint64Array(128));
    for (let l = 0; l < lanes; l++) {
        mem[l * laneLength] = blockFromBytes(hPrime(1024, Buffer.concat([h0, le32(0), le32(l)])));
        mem[l * laneLength + 1] = blockFromBytes(hPrime(1024, Buffer.concat([h0, le32(1), le32(l)])));
    }
    const zero = new BigUint64Array(128);
    for (let pass = 0; pass < p.iterations; pass++) {
        for (let slice = 0; slice < SYNC_POINTS; slice++) {
            for (let lane = 0; lane < lanes; lane++) {
                // Argon2id: data-independent addresses in the first half of the first pass.
                const independent = pass === 0 && slice < SYNC_POINTS / 2;
                const input = new BigUint64Array(128);
                const address = new BigUint64Array(128);
                const nextAddresses = () => {
                    input[6] = input[6] + 1n;
                    const tmp = new BigUint64Array(128);
                    compress(zero, input, tmp, false);
                    compress(zero, tmp, address, false);
                };
                if (independent) {
                    input.set([BigInt(pass), BigInt(lane), BigInt(slice), BigInt(blocks), BigInt(p.iterations), BigInt(ARGON2ID)]);
                }
                let start = 0;
                if (pass === 0 && slice === 0) {
                    start = 2;
                    if (independent)
                        nextAddresses();
                }
                for (let i = start; i < segment; i++) {
                    const column = slice * segment + i;
                    const cur = lane * laneLength + column;
                    const prev = column === 0 ? lane * laneLength + laneLength - 1 : cur - 1;
                    let rand;
                    if (independent) {
                        if (i % 128 === 0)
                            nextAddresses();
                        rand = address[i % 128];
                    }
                    else {
                        rand = mem[prev][0];
                    }
                    const refLane = pass === 0 && slice === 0 ? lane : Number((rand >> 32n) % BigInt(lanes));
                    const same = refLane === lane;
                    let area;
                    if (pass === 0) {
                        area = slice === 0 ? i - 1 : same ? slice * segment + i - 1 : slice * segment + (i === 0 ? -1 : 0);
                    }
                    else {
                        area = same ? laneLength - segment + i - 1 : laneLength - segment + (i === 0 ? -1 : 0);
                    }
                    const j1 = rand & 0xffffffffn;
                    const x = (j1 * j1) >> 32n;
                    const rel = BigInt(area) - 1n - ((BigInt(area) * x) >> 32n);
                    const startPos = pass === 0 || slice === SYNC_POINTS - 1 ? 0 : (slice + 1) * segment;
                    const refIndex = Number((BigInt(startPos) + rel) % BigInt(laneLength));
                    compress(mem[prev], mem[refLane * laneLength + refIndex], mem[cur], pass > 0);
                }
            }
        }
    }
    const final = mem[laneLength - 1].slice();
    for (let l = 1; l < lanes; l++) {
        const last = mem[l * laneLength + laneLength - 1];
        for (let i = 0; i < 128; i++)
            final[i] = final[i] ^ last[i];
    }
    return hPrime(p.tagLength, blockToBytes(final));
}
