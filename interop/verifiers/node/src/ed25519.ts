// Ed25519 with the project's strict policy. node:crypto (OpenSSL) verifies the cofactorless
// equation and rejects S >= L, but it ACCEPTS small-order and some non-canonical public keys and R
// values (the small-order key 01 00..00 with signature 01 00..00 || 0^32 verifies every message).
// So A and R are decoded here (RFC 8032 §5.1.3, refusing non-canonical encodings) and [8]P is
// checked against the identity before OpenSSL runs.
import { createPrivateKey, createPublicKey, sign, verify, KeyObject } from "node:crypto";

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function mod(a: bigint): bigint {
  const r = a % P;
  return r < 0n ? r + P : r;
}

function pow(base: bigint, exp: bigint): bigint {
  let result = 1n;
  let b = mod(base);
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return result;
}

const inv = (a: bigint): bigint => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);

function leInt(bytes: Uint8Array): bigint {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i] ?? 0);
  return n;
}

type Point = [bigint, bigint];

function decodePoint(encoded: Uint8Array): Point | null {
  const y = leInt(encoded) & ((1n << 255n) - 1n);
  const sign = BigInt((encoded[31] ?? 0) >> 7);
  if (y >= P) return null;
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = mod(u * pow(v, 3n) * pow(u * pow(v, 7n), (P - 5n) / 8n));
  if (mod(v * x * x) === mod(-u)) x = mod(x * SQRT_M1);
  if (mod(v * x * x) !== u) return null;
  if (x === 0n && sign === 1n) return null;
  return [(x & 1n) !== sign ? P - x : x, y];
}

/** The complete twisted Edwards addition law (a = -1). */
function add(a: Point, b: Point): Point {
  const t = mod(D * a[0] * b[0] * a[1] * b[1]);
  return [mod((a[0] * b[1] + a[1] * b[0]) * inv(1n + t)), mod((a[1] * b[1] + a[0] * b[0]) * inv(1n - t))];
}

function canonicalLargeOrder(encoded: Uint8Array): boolean {
  let point = decodePoint(encoded);
  if (point === null) return false;
  for (let i = 0; i < 3; i++) point = add(point, point);
  return !(point[0] === 0n && point[1] === 1n);
}

const SPKI = Buffer.from("302a300506032b6570032100", "hex");
const PKCS8 = Buffer.from("302e020100300506032b657004220420", "hex");

function privateKey(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8, seed]), format: "der", type: "pkcs8" });
}

export function publicKey(seed: Uint8Array): Buffer {
  return createPublicKey(privateKey(seed)).export({ format: "der", type: "spki" }).subarray(-32);
}

export function signMessage(seed: Uint8Array, message: Uint8Array): Buffer {
  return sign(null, message, privateKey(seed));
}

export function strictVerify(pub: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (pub.length !== 32 || signature.length !== 64) return false;
  if (!canonicalLargeOrder(pub) || !canonicalLargeOrder(signature.subarray(0, 32))) return false;
  if (leInt(signature.subarray(32)) >= L) return false;
  try {
    const key = createPublicKey({ key: Buffer.concat([SPKI, pub]), format: "der", type: "spki" });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}
