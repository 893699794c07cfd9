"use strict";
// The client's cryptographic envelope (protocol notes §3): AAD, payload AES-256-GCM, and the
// X25519-HKDF-SHA256-AESGCM-v1 key wrap. Only node:crypto. Counters are range-checked before any
// BigInt encoding; every GCM decipher pins authTagLength 16 (a shorter tag must not be accepted).
Object.defineProperty(exports, "__esModule", { value: true });
exports.SCHEME_ID = void 0;
exports.checkCounter = checkCounter;
exports.aad = aad;
exports.encryptPayload = encryptPayload;
exports.decryptPayload = decryptPayload;
exports.x25519 = x25519;
exports.deriveKek = deriveKek;
exports.sealDataKey = sealDataKey;
exports.wrapDataKey = wrapDataKey;
exports.unwrapDataKey = unwrapDataKey;
const node_crypto_1 = require("node:crypto");
const b64_1 = require("./b64");
const clienterror_1 = require("./clienterror");
const keys_1 = require("./keys");
exports.SCHEME_ID = "X25519-HKDF-SHA256-AESGCM-v1";
const WRAP_INFO = Buffer.from("avp/rdk-wrap/v1", "utf8");
const TAG = 16;
function checkCounter(v, name) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
        throw new clienterror_1.ClientError("counter_out_of_range", `${name} must be an integer in [0, 2^53-1]`);
    }
    return v;
}
/** UTF8(repoId) ‖ 0x1F ‖ int64BE(payloadVersion) ‖ int64BE(keyEpoch). */
function aad(repoId, payloadVersion, keyEpoch) {
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
function checkKeyIv(key, iv) {
    if (key.length !== 32)
        throw new clienterror_1.ClientError("invalid_key", "AES-256-GCM needs a 32-byte key");
    if (iv.length !== 12)
        throw new clienterror_1.ClientError("invalid_encoding", "the IV must be 12 bytes");
}
function gcmSeal(key, iv, ad, plaintext) {
    checkKeyIv(key, iv);
    const c = (0, node_crypto_1.createCipheriv)("aes-256-gcm", key, iv, { authTagLength: TAG });
    c.setAAD(ad);
    return Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag()]);
}
function gcmOpen(key, iv, ad, sealed) {
    checkKeyIv(key, iv);
    if (sealed.length < TAG)
        throw new clienterror_1.ClientError("invalid_tag", "authentication failed");
    const d = (0, node_crypto_1.createDecipheriv)("aes-256-gcm", key, iv, { authTagLength: TAG });
    d.setAAD(ad);
    d.setAuthTag(sealed.subarray(sealed.length - TAG));
    try {
        return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()]);
    }
    catch {
        throw new clienterror_1.ClientError("invalid_tag", "authentication failed");
    }
}
function encryptPayload(key, repoId, payloadVersion, keyEpoch, plaintext, iv = (0, node_crypto_1.randomBytes)(12)) {
    return { iv: Buffer.from(iv), ciphertext: gcmSeal(key, iv, aad(repoId, payloadVersion, keyEpoch), plaintext) };
}
function decryptPayload(key, repoId, payloadVersion, keyEpoch, iv, ciphertext) {
    return gcmOpen(key, iv, aad(repoId, payloadVersion, keyEpoch), ciphertext);
}
/** Raw X25519; an all-zero result (a low-order peer key) is invalid_key, never a secret. */
function x25519(privateKey, peerRaw) {
    let shared;
    try {
        shared = (0, node_crypto_1.diffieHellman)({ privateKey, publicKey: (0, keys_1.publicKeyFromRaw)("X25519", peerRaw) });
    }
    catch {
        // OpenSSL refuses an all-zero output; a malformed key fails the same way.
        throw new clienterror_1.ClientError("invalid_key", "X25519 with a low-order or invalid public key");
    }
    if (shared.every((b) => b === 0))
        throw new clienterror_1.ClientError("invalid_key", "X25519 shared secret is all zero");
    return shared;
}
/** KEK = HKDF-SHA256(ikm = X25519 output, salt = ephemeral public key, info = scheme label). */
function deriveKek(shared, ephemeralRaw) {
    return Buffer.from((0, node_crypto_1.hkdfSync)("sha256", shared, ephemeralRaw, WRAP_INFO, 32));
}
const kek = (privateKey, peerRaw, ephemeralRaw) => deriveKek(x25519(privateKey, peerRaw), ephemeralRaw);
/** AES-256-GCM of a data key under a KEK, aad = the scheme's info string (wrap step 4). */
function sealDataKey(kek, iv, dataKey) {
    return gcmSeal(kek, iv, WRAP_INFO, dataKey);
}
/** Wrap a 32-byte data key to a recipient; `ephemeral` and `iv` are fixed only by known-answer tests. */
function wrapDataKey(dataKey, recipientPublicRaw, ephemeral = (0, node_crypto_1.generateKeyPairSync)("x25519").privateKey, iv = (0, node_crypto_1.randomBytes)(12)) {
    const ephemeralRaw = (0, keys_1.rawPublic)(ephemeral);
    const ct = sealDataKey(kek(ephemeral, recipientPublicRaw, ephemeralRaw), iv, dataKey);
    return { schemeId: exports.SCHEME_ID, ephemeralPublicKey: (0, b64_1.encodeStd)(ephemeralRaw), iv: (0, b64_1.encodeStd)(iv), ciphertext: (0, b64_1.encodeStd)(ct) };
}
function unwrapDataKey(wk, recipient) {
    if (wk.schemeId !== exports.SCHEME_ID)
        throw new clienterror_1.ClientError("unsupported_scheme", `unknown wrap scheme ${wk.schemeId}`);
    const eph = (0, b64_1.decodeStd)(wk.ephemeralPublicKey);
    const iv = (0, b64_1.decodeStd)(wk.iv);
    const ct = (0, b64_1.decodeStd)(wk.ciphertext);
    if (eph === null || eph.length !== 32 || iv === null || iv.length !== 12 || ct === null) {
        throw new clienterror_1.ClientError("invalid_encoding", "malformed wrapped key");
    }
    // A ciphertext that is not key + tag cannot authenticate: opaque, like any other tampering.
    if (ct.length !== 48)
        throw new clienterror_1.ClientError("invalid_tag", "authentication failed");
    return gcmOpen(kek(recipient, eph, eph), iv, WRAP_INFO, ct);
}
