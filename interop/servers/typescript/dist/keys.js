"use strict";
// Raw 32-byte Ed25519 / X25519 keys <-> node:crypto KeyObjects. Public keys go through JWK (a few
// µs) rather than DER (>100 µs); a private key is imported once per identity through PKCS#8, because
// a private JWK must also carry the public half we do not have yet.
Object.defineProperty(exports, "__esModule", { value: true });
exports.publicKeyFromRaw = publicKeyFromRaw;
exports.privateKeyFromRaw = privateKeyFromRaw;
exports.rawPublic = rawPublic;
const node_crypto_1 = require("node:crypto");
const clienterror_1 = require("./clienterror");
const PKCS8_PREFIX = {
    Ed25519: Buffer.from("302e020100300506032b657004220420", "hex"),
    X25519: Buffer.from("302e020100300506032b656e04220420", "hex"),
};
function publicKeyFromRaw(curve, raw) {
    return (0, node_crypto_1.createPublicKey)({
        key: { kty: "OKP", crv: curve, x: Buffer.from(raw).toString("base64url") },
        format: "jwk",
    });
}
function privateKeyFromRaw(curve, raw) {
    if (raw.length !== 32)
        throw new clienterror_1.ClientError("invalid_key", `${curve} private key must be 32 bytes`);
    return (0, node_crypto_1.createPrivateKey)({
        key: Buffer.concat([PKCS8_PREFIX[curve], raw]),
        format: "der",
        type: "pkcs8",
    });
}
/** The raw 32-byte public key of a public or private KeyObject. */
function rawPublic(key) {
    const pub = key.type === "private" ? (0, node_crypto_1.createPublicKey)(key) : key;
    const jwk = pub.export({ format: "jwk" });
    if (typeof jwk.x !== "string")
        throw new TypeError("not an OKP key");
    return Buffer.from(jwk.x, "base64url");
}
