// AVP's constructions on node:crypto: AAD, HKDF, X25519, AES-256-GCM (tag always 16 bytes), the
// X25519-HKDF-SHA256-AESGCM-v1 wrap, federation tokens and avp:// addresses.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  hkdfSync,
  KeyObject,
} from "node:crypto";

import { counter, strictB64, strictB64url } from "./encoding";
import { Rejected } from "./errors";

export const SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1";
export const WRAP_INFO = Buffer.from("avp/rdk-wrap/v1");

export function aad(repoId: string, version: unknown, epoch: unknown): Buffer {
  const counters = Buffer.alloc(16);
  counters.writeBigUInt64BE(BigInt(counter(version)), 0);
  counters.writeBigUInt64BE(BigInt(counter(epoch)), 8);
  return Buffer.concat([Buffer.from(repoId, "utf8"), Buffer.from([0x1f]), counters]);
}

export function hkdf(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): [Buffer, Buffer] {
  const prk = createHmac("sha256", salt.length ? salt : Buffer.alloc(32)).update(ikm).digest();
  return [prk, Buffer.from(hkdfSync("sha256", ikm, salt, info, length))];
}

const X_SPKI = Buffer.from("302a300506032b656e032100", "hex");
const X_PKCS8 = Buffer.from("302e020100300506032b656e04220420", "hex");

function xPrivate(scalar: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([X_PKCS8, scalar]), format: "der", type: "pkcs8" });
}

export function x25519(scalar: Uint8Array, u: Uint8Array): Buffer {
  if (scalar.length !== 32 || u.length !== 32) throw new Rejected("invalid_key");
  const publicKey = createPublicKey({ key: Buffer.concat([X_SPKI, u]), format: "der", type: "spki" });
  try {
    return diffieHellman({ privateKey: xPrivate(scalar), publicKey });
  } catch {
    // OpenSSL refuses an all-zero shared secret (a low-order peer key).
    throw new Rejected("invalid_key");
  }
}

export function x25519Public(scalar: Uint8Array): Buffer {
  return createPublicKey(xPrivate(scalar)).export({ format: "der", type: "spki" }).subarray(-32);
}

export function seal(key: Uint8Array, iv: Uint8Array, associated: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  cipher.setAAD(associated);
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

export function gcmOpen(key: Uint8Array, iv: Uint8Array, associated: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (key.length !== 32) throw new Rejected("invalid_key");
  if (iv.length !== 12) throw new Rejected("invalid_encoding");
  if (ciphertext.length < 16) throw new Rejected("invalid_tag");
  const decipher = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: 16 });
  decipher.setAAD(associated);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  try {
    return Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  } catch {
    throw new Rejected("invalid_tag");
  }
}

export function openPayload(
  key: Uint8Array,
  repoId: string,
  version: unknown,
  epoch: unknown,
  iv: Uint8Array,
  ciphertext: Uint8Array,
): Buffer {
  if (key.length !== 32) throw new Rejected("invalid_key");
  return gcmOpen(key, iv, aad(repoId, version, epoch), ciphertext);
}

export function kek(shared: Uint8Array, ephemeralPublic: Uint8Array): Buffer {
  return hkdf(shared, ephemeralPublic, WRAP_INFO, 32)[1];
}

export interface WrappedKey {
  schemeId: string;
  ephemeralPublicKey: string;
  iv: string;
  ciphertext: string;
}

export function unwrap(wrapped: WrappedKey, recipientPrivate: Uint8Array): Buffer {
  const ephemeral = strictB64(wrapped.ephemeralPublicKey, 32);
  const iv = strictB64(wrapped.iv, 12);
  const ciphertext = strictB64(wrapped.ciphertext);
  if (wrapped.schemeId !== SCHEME_ID) throw new Rejected("unsupported_scheme");
  return gcmOpen(kek(x25519(recipientPrivate, ephemeral), ephemeral), iv, WRAP_INFO, ciphertext);
}

const INVITE_FIELDS = ["v", "ed25519PublicKey", "x25519PublicKey"];
const LOCATOR_FIELDS = ["v", "host", "repoId", "schemeId", "keyEpoch", "issuerJwksUrl"];
type Json = Record<string, unknown>;

/** Decode a join token into its known members (any order and whitespace; unknown members dropped). */
export function decodeToken(token: string, schema: string): Json {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(strictB64url(token)));
  } catch (err) {
    if (err instanceof Rejected) throw err;
    throw new Rejected("invalid_encoding");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new Rejected("invalid_encoding");
  const obj = value as Json;
  if (typeof obj.v !== "number" || !Number.isInteger(obj.v)) throw new Rejected("invalid_encoding");
  if (obj.v !== 1) throw new Rejected("unsupported_scheme");
  const required = schema === "InviteRequest" ? ["ed25519PublicKey", "x25519PublicKey"] : ["host", "repoId"];
  const out: Json = { v: 1 };
  for (const name of required) {
    if (typeof obj[name] !== "string") throw new Rejected("invalid_encoding");
    out[name] = obj[name];
  }
  if (schema === "RepoLocator") {
    for (const name of ["schemeId", "keyEpoch", "issuerJwksUrl"]) {
      const member = obj[name];
      if (member === undefined || member === null) continue;
      if (name === "keyEpoch") {
        if (typeof member !== "number" || !Number.isInteger(member)) throw new Rejected("invalid_encoding");
        out[name] = counter(member);
      } else {
        if (typeof member !== "string") throw new Rejected("invalid_encoding");
        out[name] = member;
      }
    }
  }
  return out;
}

export function canonicalJson(decoded: Json, schema: string): string {
  const order = schema === "InviteRequest" ? INVITE_FIELDS : LOCATOR_FIELDS;
  const ordered: Json = {};
  for (const key of order) if (key in decoded) ordered[key] = decoded[key];
  return JSON.stringify(ordered);
}

const HOST_NAME = /^[A-Za-z0-9._-]+$/;
const IPV6 = /^[0-9A-Fa-f:.]+$/;
const PORT = /^[0-9]{1,5}$/;

/** host = name of [A-Za-z0-9._-] or an [IPv6] literal, then an optional :port in 1..65535. */
function checkAuthority(host: string): void {
  let port: string | undefined;
  if (host.startsWith("[")) {
    const close = host.indexOf("]");
    const after = close < 0 ? "" : host.slice(close + 1);
    if (close < 0 || !IPV6.test(host.slice(1, close)) || (after !== "" && !after.startsWith(":"))) {
      throw new Rejected("invalid_address");
    }
    port = after === "" ? undefined : after.slice(1);
  } else {
    const colon = host.lastIndexOf(":");
    const name = colon < 0 ? host : host.slice(0, colon);
    port = colon < 0 ? undefined : host.slice(colon + 1);
    if (!HOST_NAME.test(name)) throw new Rejected("invalid_address");
  }
  if (port !== undefined && (!PORT.test(port) || Number(port) < 1 || Number(port) > 65535)) {
    throw new Rejected("invalid_address");
  }
}

/** `avp://<authority>/<repoId>`; the repoId (everything after the first '/') is non-empty and has
 * no whitespace, control character, '?' or '#'. */
export function parseAddress(uri: string): [string, string] {
  if (!uri.startsWith("avp://")) throw new Rejected("invalid_address");
  const rest = uri.slice("avp://".length);
  const slash = rest.indexOf("/");
  if (slash < 0) throw new Rejected("invalid_address");
  const [host, repoId] = [rest.slice(0, slash), rest.slice(slash + 1)];
  checkAuthority(host);
  if (repoId === "" || /[\s\u0000-\u001f\u007f-\u009f?#]/u.test(repoId)) throw new Rejected("invalid_address");
  return [host, repoId];
}
