// Sealed identities (avp-identity v1). Node 20's crypto has no Argon2id, so the one step this
// verifier cannot recompute is the KDF: it takes the Argon2id output from the case's checker aid
// `derivedKeyHex` (Python and Rust recompute it) and checks everything else: format, secret
// normalization, slot choice, parameter limits, the AAD, AES-GCM and the derived public keys.
import { publicKey } from "./ed25519";
import { b64, hex, strictB64 } from "./encoding";
import { Rejected } from "./errors";
import { gcmOpen, x25519Public } from "./primitives";

const RECOVERY = /^[A-Z2-7]{32}$/;
const SEPARATORS = /[- \t\n\r\f]/g;
const LIMITS: Record<string, number> = { memoryKib: 1 << 20, iterations: 64, parallelism: 16 };

export function identitySecret(kind: string, text: string): Buffer {
  if (kind === "passphrase") {
    const data = Buffer.from(text.normalize("NFC"), "utf8");
    if (data.length === 0) throw new Rejected("invalid_key");
    return data;
  }
  const code = text.replace(SEPARATORS, "").toUpperCase();
  if (!RECOVERY.test(code)) throw new Rejected("invalid_encoding");
  return Buffer.from(code, "ascii");
}

// A sealed blob as parsed from the vector file (fields are read dynamically).
type Json = any;

/** Open a blob; `derivedKey` stands in for Argon2id(secret, salt, params). Returns the stated keys. */
export function openIdentity(sealed: Json, kind: string, text: string, derivedKey: string | undefined): [string, string] {
  if (sealed.format !== "avp-identity" || sealed.version !== 1) throw new Rejected("unsupported_scheme");
  identitySecret(kind, text);
  const slot = (sealed.slots as Json[]).find((s) => s.kind === kind);
  if (slot === undefined) throw new Rejected("invalid_passphrase");
  const kdf = slot.kdf;
  if (kdf.name !== "argon2id" || kdf.version !== 19 || slot.cipher !== "AES-256-GCM") {
    throw new Rejected("unsupported_scheme");
  }
  const iv = strictB64(slot.iv, 12);
  const ciphertext = strictB64(slot.ciphertext, 80);
  const ed: string = sealed.ed25519PublicKey;
  const x: string = sealed.x25519PublicKey;
  strictB64(ed, 32);
  strictB64(x, 32);
  for (const [name, limit] of Object.entries(LIMITS)) if (kdf[name] > limit) throw new Rejected("invalid_encoding");
  strictB64(kdf.salt);
  if (derivedKey === undefined) throw new Error("no derivedKeyHex checker aid for a case that reaches the KDF");
  const aad = Buffer.from(`avp-identity/v1\x1f${kind}\x1f${ed}\x1f${x}`, "utf8");
  let plain: Buffer;
  try {
    plain = gcmOpen(hex(derivedKey), iv, aad, ciphertext);
  } catch {
    throw new Rejected("invalid_passphrase");
  }
  if (b64(publicKey(plain.subarray(0, 32))) !== ed || b64(x25519Public(plain.subarray(32))) !== x) {
    throw new Rejected("invalid_encoding");
  }
  return [ed, x];
}
