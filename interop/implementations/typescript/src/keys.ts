// Raw 32-byte Ed25519 / X25519 keys <-> node:crypto KeyObjects. Public keys go through JWK (a few
// µs) rather than DER (>100 µs); a private key is imported once per identity through PKCS#8, because
// a private JWK must also carry the public half we do not have yet.

import { createPrivateKey, createPublicKey, KeyObject } from "node:crypto";
import { ClientError } from "./clienterror";

export type Curve = "Ed25519" | "X25519";

const PKCS8_PREFIX: Record<Curve, Buffer> = {
  Ed25519: Buffer.from("302e020100300506032b657004220420", "hex"),
  X25519: Buffer.from("302e020100300506032b656e04220420", "hex"),
};

export function publicKeyFromRaw(curve: Curve, raw: Uint8Array): KeyObject {
  return createPublicKey({
    key: { kty: "OKP", crv: curve, x: Buffer.from(raw).toString("base64url") },
    format: "jwk",
  });
}

export function privateKeyFromRaw(curve: Curve, raw: Uint8Array): KeyObject {
  if (raw.length !== 32) throw new ClientError("invalid_key", `${curve} private key must be 32 bytes`);
  return createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX[curve], raw]),
    format: "der",
    type: "pkcs8",
  });
}

/** The raw 32-byte public key of a public or private KeyObject. */
export function rawPublic(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  const jwk = pub.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new TypeError("not an OKP key");
  return Buffer.from(jwk.x, "base64url");
}
