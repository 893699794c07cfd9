// The client's cryptographic envelope (protocol notes §3): AAD, payload AES-256-GCM, and the
// X25519-HKDF-SHA256-AESGCM-v1 key wrap. Only node:crypto. Counters are range-checked before any
// BigInt encoding; every GCM decipher pins authTagLength 16 (a shorter tag must not be accepted).

import { createCipheriv, createDecipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { decodeStd, encodeStd } from "./b64";
import { ClientError } from "./clienterror";
import { publicKeyFromRaw, rawPublic } from "./keys";

export const SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1";
const WRAP_INFO = Buffer.from("avp/rdk-wrap/v1", "utf8");
const TAG = 16;

export interface WrappedKey {
  schemeId: string;
  ephemeralPublicKey: string;
  iv: string;
  ciphertext: string;
}

export function checkCounter(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new ClientError("counter_out_of_range", `${name} must be an integer in [0, 2^53-1]`);
  }
  return v;
}

/** UTF8(repoId) ‖ 0x1F ‖ int64BE(payloadVersion) ‖ int64BE(keyEpoch). */
export function aad(repoId: string, payloadVersion: number, keyEpoch: number): Buffer {
  const pv = checkCounter(payloadVersion, "payloadVersion");
  const ke = checkCounter(keyEpoch, "keyEpoch");
  const id = Buffer.from(repoId, "utf8");
  const out = Buffer.alloc(id.length + 17);
  id.copy(out, 0);
  out[id.length] = 0x1f;
  out.writeBigUInt64BE(BigInt(pv), id.length + 1);
  out.writeBigUInt64BE(BigInt(ke), id.length + 9);
  return out;
}

function checkKeyIv(key: Uint8Array, iv: Uint8Array): void {
  if (key.length !== 32) throw new ClientError("invalid_key", "AES-256-GCM needs a 32-byte key");
  if (iv.length !== 12) throw new ClientError("invalid_encoding", "the IV must be 12 bytes");
}

function gcmSeal(key: Uint8Array, iv: Uint8Array, ad: Uint8Array, plaintext: Uint8Array): Buffer {
  checkKeyIv(key, iv);
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG });
  c.setAAD(ad);
  return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}

function gcmOpen(key: Uint8Array, iv: Uint8Array, ad: Uint8Array, sealed: Uint8Array): Buffer {
  checkKeyIv(key, iv);
  if (sealed.length < TAG) throw new ClientError("invalid_tag", "authentication failed");
  const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG });
  d.setAAD(ad);
  d.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
  } catch {
    throw new ClientError("invalid_tag", "authentication failed");
  }
}

export function encryptPayload(
  key: Uint8Array,
  repoId: string,
  payloadVersion: number,
  keyEpoch: number,
  plaintext: Uint8Array,
  iv: Uint8Array = randomBytes(12),
): { iv: Buffer; ciphertext: Buffer } {
  return { iv: Buffer.from(iv), ciphertext: gcmSeal(key, iv, aad(repoId, payloadVersion, keyEpoch), plaintext) };
}

export function decryptPayload(
  key: Uint8Array,
  repoId: string,
  payloadVersion: number,
  keyEpoch: number,
  iv: Uint8Array,
  ciphertext: Uint8Array,
): Buffer {
  return gcmOpen(key, iv, aad(repoId, payloadVersion, keyEpoch), ciphertext);
}

/** Raw X25519; an all-zero result (a low-order peer key) is invalid_key, never a secret. */
export function x25519(privateKey: KeyObject, peerRaw: Uint8Array): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey: publicKeyFromRaw("X25519", peerRaw) });
  } catch {
    // OpenSSL refuses an all-zero output; a malformed key fails the same way.
    throw new ClientError("invalid_key", "X25519 with a low-order or invalid public key");
  }
  if (shared.every((b) => b === 0)) throw new ClientError("invalid_key", "X25519 shared secret is all zero");
  return shared;
}

/** KEK = HKDF-SHA256(ikm = X25519 output, salt = ephemeral public key, info = scheme label). */
export function deriveKek(shared: Uint8Array, ephemeralRaw: Uint8Array): Buffer {
  return Buffer.from(hkdfSync("sha256", shared, ephemeralRaw, WRAP_INFO, 32));
}

const kek = (privateKey: KeyObject, peerRaw: Uint8Array, ephemeralRaw: Uint8Array): Buffer =>
  deriveKek(x25519(privateKey, peerRaw), ephemeralRaw);

/** AES-256-GCM of a data key under a KEK, aad = the scheme's info string (wrap step 4). */
export function sealDataKey(kek: Uint8Array, iv: Uint8Array, dataKey: Uint8Array): Buffer {
  return gcmSeal(kek, iv, WRAP_INFO, dataKey);
}

/** Wrap a 32-byte data key to a recipient; `ephemeral` and `iv` are fixed only by known-answer tests. */
export function wrapDataKey(
  dataKey: Uint8Array,
  recipientPublicRaw: Uint8Array,
  ephemeral: KeyObject = generateKeyPairSync("x25519").privateKey,
  iv: Uint8Array = randomBytes(12),
): WrappedKey {
  const ephemeralRaw = rawPublic(ephemeral);
  const ct = sealDataKey(kek(ephemeral, recipientPublicRaw, ephemeralRaw), iv, dataKey);
  return { schemeId: SCHEME_ID, ephemeralPublicKey: encodeStd(ephemeralRaw), iv: encodeStd(iv), ciphertext: encodeStd(ct) };
}

export function unwrapDataKey(wk: WrappedKey, recipient: KeyObject): Buffer {
  if (wk.schemeId !== SCHEME_ID) throw new ClientError("unsupported_scheme", `unknown wrap scheme ${wk.schemeId}`);
  const eph = decodeStd(wk.ephemeralPublicKey);
  const iv = decodeStd(wk.iv);
  const ct = decodeStd(wk.ciphertext);
  if (eph === null || eph.length !== 32 || iv === null || iv.length !== 12 || ct === null) {
    throw new ClientError("invalid_encoding", "malformed wrapped key");
  }
  // A ciphertext that is not key + tag cannot authenticate: opaque, like any other tampering.
  if (ct.length !== 48) throw new ClientError("invalid_tag", "authentication failed");
  return gcmOpen(kek(recipient, eph, eph), iv, WRAP_INFO, ct);
}
