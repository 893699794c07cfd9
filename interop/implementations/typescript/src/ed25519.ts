// Ed25519 verification with the project's strict policy. OpenSSL (hence crypto.verify) accepts
// small-order public keys and R values — e.g. A = 01 00..00 with signature (01 00..00 ‖ 0^32)
// verifies for every message — so before asking OpenSSL we reject: non-canonical encodings of A
// and R, the 8 small-order points for A and R, and S ≥ L.

import { sign, verify } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { publicKeyFromRaw } from "./keys";

// Canonical encodings of the 8 points of order dividing 8 (the whole torsion subgroup). A
// non-canonical encoding of one of them is caught by the canonicity check first.
const SMALL_ORDER = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000", // identity
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // order 2 (y = -1)
  "0000000000000000000000000000000000000000000000000000000000000000", // order 4 (y = 0)
  "0000000000000000000000000000000000000000000000000000000000000080",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
]);

const P = (1n << 255n) - 19n;
const L = (1n << 252n) + 27742317777372353535851937790883648493n;

function littleEndian(b: Uint8Array): bigint {
  return BigInt("0x" + (Buffer.from(b).reverse().toString("hex") || "0"));
}

/** y < p, and the sign bit is clear when x = 0 (y = ±1). */
export function isCanonicalPoint(enc: Uint8Array): boolean {
  const signBit = ((enc[31] ?? 0) & 0x80) !== 0;
  const yBytes = Buffer.from(enc);
  yBytes[31] = (yBytes[31] ?? 0) & 0x7f;
  const y = littleEndian(yBytes);
  if (y >= P) return false;
  return !(signBit && (y === 1n || y === P - 1n));
}

export function isSmallOrderEncoding(enc: Uint8Array): boolean {
  return SMALL_ORDER.has(Buffer.from(enc).toString("hex"));
}

/** True when A and R pass the policy and S < L (the checks OpenSSL does not make for us). */
export function passesStrictPolicy(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  for (const point of [publicKey, r]) {
    if (!isCanonicalPoint(point) || isSmallOrderEncoding(point)) return false;
  }
  return littleEndian(s) < L;
}

export function verifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesStrictPolicy(publicKey, signature)) return false;
  let key: KeyObject;
  try {
    key = publicKeyFromRaw("Ed25519", publicKey);
  } catch {
    return false; // not a point on the curve
  }
  try {
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

export function signEd25519(privateKey: KeyObject, message: Uint8Array): Buffer {
  return sign(null, message, privateKey);
}
