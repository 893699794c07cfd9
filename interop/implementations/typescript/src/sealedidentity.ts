// Opening a sealed identity (format `avp-identity` v1, crates/avp-crypto/README.md): a slot's key
// is Argon2id of the passphrase (NFC, UTF-8) or of the recovery code (32 base32 characters, case,
// '-' and whitespace ignored); AES-256-GCM under an AAD that names the slot kind and both public
// keys opens the 64 secret bytes, whose public keys must equal the header's. The actor uses it to
// check identity vectors; parameters are bounded before any work.

import { createDecipheriv } from "node:crypto";
import { decodeStd } from "./b64";
import { argon2id } from "./argon2";
import { ClientError } from "./clienterror";
import { privateKeyFromRaw, rawPublic } from "./keys";

export type SlotKind = "passphrase" | "recoveryCode";

const LIMITS = { memoryKib: 1_048_576, iterations: 64, parallelism: 16 };

const encoding = (m: string): ClientError => new ClientError("invalid_encoding", m);
const unsupported = (m: string): ClientError => new ClientError("unsupported_scheme", m);
const wrongSecret = (): ClientError => new ClientError("invalid_passphrase", "the passphrase or recovery code does not open this identity");

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function closed(o: unknown, what: string, keys: string[]): Obj {
  if (!isObj(o)) throw encoding(`${what} is not an object`);
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw encoding(`${what}: unknown member ${k}`);
  for (const k of keys) if (!(k in o)) throw encoding(`${what}: missing ${k}`);
  return o;
}

function bytes(v: unknown, what: string, len?: number): Buffer {
  const b = typeof v === "string" ? decodeStd(v) : null;
  if (b === null || (len !== undefined && b.length !== len)) throw encoding(`${what} is not strict base64${len ? ` of ${len} bytes` : ""}`);
  return b;
}

function count(v: unknown, what: string, min: number, max: number): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) throw encoding(`${what} is not an integer >= ${min}`);
  if (v > max) throw encoding(`${what} above the limit ${max}: refused before any work`);
  return v;
}

/** The secret bytes a slot of `kind` is keyed with. */
export function slotSecret(kind: SlotKind, input: string): Buffer {
  if (kind === "passphrase") {
    if (input === "") throw new ClientError("invalid_key", "the empty passphrase is refused");
    return Buffer.from(input.normalize("NFC"), "utf8");
  }
  const code = input.replace(/[-\t\n\v\f\r ]/g, "").toUpperCase();
  if (!/^[A-Z2-7]{32}$/.test(code)) throw encoding("a recovery code is 32 base32 characters");
  return Buffer.from(code, "ascii");
}

export interface Opened {
  ed25519Seed: Buffer;
  x25519Private: Buffer;
  /** The Argon2id output of the slot that opened (for vectors' derivedKeyHex). */
  slotKey: Buffer;
}

export function openSealedIdentity(sealed: unknown, kind: SlotKind, input: string): Opened {
  if (!isObj(sealed)) throw encoding("a sealed identity is a JSON object");
  if (sealed["format"] !== "avp-identity") throw unsupported(`unknown format ${String(sealed["format"])}`);
  if (sealed["version"] !== 1) throw unsupported(`unknown version ${String(sealed["version"])}`);
  const head = closed(sealed, "identity", ["format", "version", "ed25519PublicKey", "x25519PublicKey", "slots"]);
  const edB64 = head["ed25519PublicKey"] as string;
  const xB64 = head["x25519PublicKey"] as string;
  bytes(edB64, "ed25519PublicKey", 32);
  bytes(xB64, "x25519PublicKey", 32);
  if (!Array.isArray(head["slots"])) throw encoding("slots is not an array");
  const slots = (head["slots"] as unknown[]).map((s, i) => {
    const slot = closed(s, `slots[${i}]`, ["kind", "kdf", "cipher", "iv", "ciphertext"]);
    if (!isObj(slot["kdf"])) throw encoding(`slots[${i}].kdf is not an object`);
    if (slot["kdf"]["name"] !== "argon2id") throw unsupported(`unknown KDF ${String(slot["kdf"]["name"])}`);
    const kdf = closed(slot["kdf"], `slots[${i}].kdf`, ["name", "version", "memoryKib", "iterations", "parallelism", "salt"]);
    if (kdf["version"] !== 19) throw unsupported(`unknown Argon2 version ${String(kdf["version"])}`);
    if (slot["cipher"] !== "AES-256-GCM") throw unsupported(`unknown cipher ${String(slot["cipher"])}`);
    const parallelism = count(kdf["parallelism"], "parallelism", 1, LIMITS.parallelism);
    return {
      kind: slot["kind"],
      memoryKib: count(kdf["memoryKib"], "memoryKib", 8 * parallelism, LIMITS.memoryKib),
      iterations: count(kdf["iterations"], "iterations", 1, LIMITS.iterations),
      parallelism,
      salt: bytes(kdf["salt"], "salt"),
      iv: bytes(slot["iv"], "iv", 12),
      ciphertext: bytes(slot["ciphertext"], "ciphertext", 80),
    };
  });
  const secret = slotSecret(kind, input);
  const aad = Buffer.from(`avp-identity/v1\x1f${kind}\x1f${edB64}\x1f${xB64}`, "utf8");
  for (const s of slots.filter((x) => x.kind === kind)) {
    if (s.salt.length < 8) throw encoding("salt shorter than 8 bytes");
    const key = argon2id(secret, s.salt, { memoryKib: s.memoryKib, iterations: s.iterations, parallelism: s.parallelism, tagLength: 32 });
    const d = createDecipheriv("aes-256-gcm", key, s.iv, { authTagLength: 16 });
    d.setAAD(aad);
    d.setAuthTag(s.ciphertext.subarray(64));
    let plain: Buffer;
    try {
      plain = Buffer.concat([d.update(s.ciphertext.subarray(0, 64)), d.final()]);
    } catch {
      continue;
    }
    const ed25519Seed = plain.subarray(0, 32);
    const x25519Private = plain.subarray(32, 64);
    const edOk = rawPublic(privateKeyFromRaw("Ed25519", ed25519Seed)).toString("base64") === edB64;
    const xOk = rawPublic(privateKeyFromRaw("X25519", x25519Private)).toString("base64") === xB64;
    if (!edOk || !xOk) throw encoding("the sealed secrets do not match the stated public keys");
    return { ed25519Seed, x25519Private, slotKey: key };
  }
  throw wrongSecret();
}
