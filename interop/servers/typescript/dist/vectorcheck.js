"use strict";
// Checks vector files (the published avp-spec-vectors layout and this project's richer vectors/:
// index.json + one file per construction) with this package's own crypto. Used by the actor's
// `verify_vectors` op and by the tests. A rejection must carry the expected error code.
Object.defineProperty(exports, "__esModule", { value: true });
exports.verifyVectorDir = verifyVectorDir;
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const b64_1 = require("./b64");
const clienterror_1 = require("./clienterror");
const ed25519_1 = require("./ed25519");
const envelope_1 = require("./envelope");
const federation_1 = require("./federation");
const json_1 = require("./json");
const keys_1 = require("./keys");
const schema = require("./schema");
const tokens_1 = require("./tokens");
const sealedidentity_1 = require("./sealedidentity");
const hex = (s) => Buffer.from(s, "hex");
/** Strict standard base64 of a vector field; a malformed one is the case's invalid_encoding. */
const b64 = (s) => {
    const b = typeof s === "string" ? (0, b64_1.decodeStd)(s) : null;
    if (b === null)
        throw new clienterror_1.ClientError("invalid_encoding", "not canonical standard base64");
    return b;
};
function expectEq(what, got, want) {
    const g = typeof got === "string" ? got : got.toString("hex");
    const w = typeof want === "string" ? want : want.toString("hex");
    if (g !== w)
        throw new Error(`${what}: got ${g.slice(0, 80)}, want ${w.slice(0, 80)}`);
}
/** `f` must fail with ClientError `code` (any failure when `code` is undefined). */
function expectError(code, f) {
    try {
        f();
    }
    catch (e) {
        if (code === undefined || (e instanceof clienterror_1.ClientError && e.code === code))
            return;
        throw new Error(`expected ${code}, got ${e instanceof clienterror_1.ClientError ? e.code : e.message}`);
    }
    throw new Error(`expected ${code ?? "a rejection"}, but it was accepted`);
}
const cases = (doc) => (Array.isArray(doc["cases"]) ? doc["cases"] : []);
const named = (c, i) => String(c["name"] ?? (c["repoId"] !== undefined ? `${c["repoId"]}/${c["payloadVersion"]}/${c["keyEpoch"]}` : `case-${i}`));
const each = (doc, f) => cases(doc).map((c, i) => [named(c, i), () => f(c)]);
const x25519Raw = (scalar, u) => (0, envelope_1.x25519)((0, keys_1.privateKeyFromRaw)("X25519", scalar), u);
function checkPayload(c, pt) {
    const key = b64(c["keyB64"]);
    const iv = b64(c["ivB64"]);
    if (c["aadHex"] !== undefined)
        expectEq("aad", (0, envelope_1.aad)(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["aadHex"]));
    const sealed = (0, envelope_1.encryptPayload)(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], pt, iv).ciphertext;
    if (c["ciphertextB64"] !== undefined)
        expectEq("ciphertext", (0, b64_1.encodeStd)(sealed), c["ciphertextB64"]);
    if (c["ciphertextSha256Hex"] !== undefined)
        expectEq("ciphertext digest", (0, node_crypto_1.createHash)("sha256").update(sealed).digest(), hex(c["ciphertextSha256Hex"]));
    if (c["tagHex"] !== undefined)
        expectEq("tag", sealed.subarray(sealed.length - 16), hex(c["tagHex"]));
    expectEq("plaintext", (0, envelope_1.decryptPayload)(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, sealed), pt);
    if (c["tamperEpoch"] !== undefined) {
        expectError("invalid_tag", () => (0, envelope_1.decryptPayload)(key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], iv, sealed));
    }
    for (const off of (c["tamperBitFlipOffsets"] ?? [])) {
        const flipped = Buffer.from(sealed);
        flipped[off] = (flipped[off] ?? 0) ^ 1;
        expectError("invalid_tag", () => (0, envelope_1.decryptPayload)(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, flipped));
    }
}
/** block i = SHA-256(seed ‖ uint32BE(i)); the plaintext is the first `length` bytes of the blocks. */
function expandPlaintext(seedHex, length) {
    const out = Buffer.alloc(length);
    const idx = Buffer.alloc(4);
    for (let i = 0, at = 0; at < length; i++, at += 32) {
        idx.writeUInt32BE(i);
        (0, node_crypto_1.createHash)("sha256").update(hex(seedHex)).update(idx).digest().copy(out, at);
    }
    return out;
}
function checkKeyWrap(c) {
    const wk = c["wrappedKey"];
    const recipient = b64(c["recipientPrivateKeyB64"]);
    const eph = b64(wk.ephemeralPublicKey);
    const shared = x25519Raw(recipient, eph);
    if (c["sharedSecretHex"] !== undefined)
        expectEq("shared secret", shared, hex(c["sharedSecretHex"]));
    const kek = (0, envelope_1.deriveKek)(shared, eph);
    if (c["kekHex"] !== undefined)
        expectEq("kek", kek, hex(c["kekHex"]));
    // Re-wrap: with the KEK and IV fixed, AES-GCM is deterministic; with the ephemeral private key
    // given, the whole wrap (key generation excepted) is reproduced.
    expectEq("wrapped ciphertext", (0, b64_1.encodeStd)((0, envelope_1.sealDataKey)(kek, b64(wk.iv), b64(c["dataKeyB64"]))), wk.ciphertext);
    if (c["ephemeralPrivateKeyB64"] !== undefined) {
        const again = (0, envelope_1.wrapDataKey)(b64(c["dataKeyB64"]), b64(c["recipientPublicKeyB64"]), (0, keys_1.privateKeyFromRaw)("X25519", b64(c["ephemeralPrivateKeyB64"])), b64(wk.iv));
        expectEq("wrapped key", JSON.stringify(again), JSON.stringify({ schemeId: wk.schemeId, ephemeralPublicKey: wk.ephemeralPublicKey, iv: wk.iv, ciphertext: wk.ciphertext }));
    }
    expectEq("unwrapped key", (0, envelope_1.unwrapDataKey)(wk, (0, keys_1.privateKeyFromRaw)("X25519", recipient)), b64(c["dataKeyB64"]));
}
function checkNegative(c) {
    const code = c["expectedError"];
    switch (c["op"]) {
        case "payload-decrypt":
            return expectError(code, () => (0, envelope_1.decryptPayload)(b64(c["keyB64"]), c["repoId"], c["payloadVersion"], c["keyEpoch"], b64(c["ivB64"]), b64(c["ciphertextB64"])));
        case "key-unwrap":
            return expectError(code, () => (0, envelope_1.unwrapDataKey)({ schemeId: c["schemeId"] ?? "X25519-HKDF-SHA256-AESGCM-v1", ephemeralPublicKey: c["ephemeralPublicKeyB64"], iv: c["ivB64"], ciphertext: c["ciphertextB64"] }, (0, keys_1.privateKeyFromRaw)("X25519", b64(c["recipientPrivateKeyB64"]))));
        case "key-wrap":
            return expectError(code, () => (0, envelope_1.wrapDataKey)(b64(c["dataKeyB64"]), b64(c["recipientPublicKeyB64"]), (0, keys_1.privateKeyFromRaw)("X25519", b64(c["ephemeralPrivateKeyB64"])), b64(c["ivB64"])));
        case "x25519":
            return expectError(code, () => x25519Raw(hex(c["scalarHex"]), hex(c["uCoordinateHex"])));
        case "ed25519-verify":
            if ((0, ed25519_1.verifyStrict)(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"])))
                throw new Error("mutated signature verifies");
            return;
        case "base64-decode":
            return expectError(code, () => {
                const b = b64(c["input"]);
                if (c["length"] !== null && c["length"] !== undefined && b.length !== c["length"])
                    throw new clienterror_1.ClientError("invalid_encoding", "wrong length");
            });
        case "aad":
            return expectError(code, () => (0, envelope_1.aad)(c["repoId"], c["payloadVersion"], c["keyEpoch"]));
        case "invite-decode":
            return expectError(code, () => (0, federation_1.decodeInvite)(c["token"]));
        case "locator-decode":
            return expectError(code, () => (0, federation_1.decodeLocator)(c["token"]));
        case "address-parse":
            return expectError(code, () => (0, federation_1.parseAddress)(c["uri"]));
        default:
            throw new Error(`unknown op ${c["op"]}`);
    }
}
/** What a server answers to a token request: bad_request for a malformed field, else verify. */
function challengeVerdict(c) {
    const key = (0, b64_1.decodeStd)(String(c["ed25519PublicKey"]));
    const nonce = (0, b64_1.decodeStd)(String(c["nonce"]));
    const sig = (0, b64_1.decodeStd)(String(c["signature"]));
    if (key?.length !== 32 || nonce?.length !== 32 || sig?.length !== 64)
        return "bad_request";
    return (0, ed25519_1.verifyStrict)(key, nonce, sig) ? "accept" : "unauthorized";
}
function bindingVerdict(issuer, ed, x, sig) {
    const raw = typeof sig === "string" ? (0, b64_1.decodeStd)(sig) : null;
    return raw !== null && raw.length === 64 && (0, ed25519_1.verifyStrict)(issuer, Buffer.from(`${ed}|${x}`, "utf8"), raw);
}
function federationChecks(doc) {
    const decode = (schema, token) => schema === "InviteRequest" ? { v: 1, ...(0, federation_1.decodeInvite)(token) } : { v: 1, ...(0, federation_1.decodeLocator)(token) };
    const encode = (schema, token) => schema === "InviteRequest" ? (0, federation_1.encodeInvite)((0, federation_1.decodeInvite)(token)) : (0, federation_1.encodeLocator)((0, federation_1.decodeLocator)(token));
    return [
        ...(doc["tokens"] ?? []).map((c, i) => [named(c, i), () => {
                expectEq("decoded", canonical(decode(c["schema"], c["base64url"])), canonical(c["decoded"]));
                expectEq("re-encoded token", encode(c["schema"], c["base64url"]), c["base64url"]);
                expectEq("canonical JSON", Buffer.from(c["base64url"], "base64url").toString("utf8"), c["canonicalJson"]);
            }]),
        ...(doc["decodeOracles"] ?? []).map((c, i) => [named(c, i), () => {
                expectEq("decoded", canonical(decode(c["schema"], c["base64url"])), canonical(c["decoded"]));
            }]),
        ...(doc["uris"] ?? []).map((c, i) => [named(c, i), () => {
                const a = (0, federation_1.parseAddress)(c["uri"]);
                expectEq("host", a.host, c["host"]);
                expectEq("repoId", a.repoId, c["repoId"]);
                expectEq("formatted", (0, federation_1.formatAddress)(c["host"], c["repoId"]), c["uri"]);
            }]),
    ];
}
/** Resolve an RFC 6901 JSON pointer. */
function pointer(doc, at) {
    let v = doc;
    for (const raw of at.split("/").slice(1)) {
        const k = raw.replace(/~1/g, "/").replace(/~0/g, "~");
        if (v === null || typeof v !== "object" || !(k in v))
            throw new Error(`${at}: no such member`);
        v = v[k];
    }
    return v;
}
function transcriptChecks(doc) {
    const server = b64(doc["server"]?.["ed25519PublicKey"]);
    const actors = (doc["actors"] ?? {});
    const keys = (doc["secrets"]?.["dataKeys"] ?? {});
    const plaintexts = (doc["secrets"]?.["plaintexts"] ?? {});
    const open = (env, key) => (0, envelope_1.decryptPayload)(b64(keys[key]), env["repoId"], env["payloadVersion"], env["keyEpoch"], b64(env["iv"]), b64(env["ciphertext"]));
    const run = (c, chk) => {
        const target = pointer(c, chk["at"]);
        switch (chk["check"]) {
            case "nonce-signature":
                if (challengeVerdict(target) !== "accept")
                    throw new Error("the login signature does not verify over the raw nonce");
                return;
            case "jwt": {
                const [h, p, s] = String(target).split(".");
                const sig = (0, b64_1.decodeUrl)(s ?? "");
                if (sig === null || !(0, ed25519_1.verifyStrict)(server, Buffer.from(`${h}.${p}`, "ascii"), sig))
                    throw new Error("token signature does not verify under the server key");
                const head = (0, json_1.parseJson)((0, b64_1.decodeUrl)(h)?.toString("utf8") ?? "");
                const claims = (0, json_1.parseJson)((0, b64_1.decodeUrl)(p)?.toString("utf8") ?? "");
                if (!(0, json_1.isObject)(head) || head["alg"] !== "EdDSA" || !(0, json_1.isObject)(claims))
                    throw new Error("token header/claims malformed");
                expectEq("sub", String(claims["sub"]), `key:${chk["subject"]}`);
                expectEq("kind", String(claims["kind"]), "keypair");
                return;
            }
            case "unwrap": {
                const actor = actors[chk["actor"]];
                expectEq("data key", (0, envelope_1.unwrapDataKey)(target, (0, keys_1.privateKeyFromRaw)("X25519", b64(actor?.["x25519PrivateB64"]))), b64(keys[chk["dataKey"]]));
                return;
            }
            case "decrypt":
                expectEq("plaintext", open(target, chk["dataKey"]), Buffer.from(plaintexts[chk["plaintext"]] ?? "", "utf8"));
                return;
            case "decrypt-fails":
                return expectError(chk["expectedError"], () => open(target, chk["dataKey"]));
            case "jwks": {
                const x = (0, b64_1.decodeUrl)(String(target["x"]));
                if (x === null)
                    throw new Error("jwk x is not canonical base64url");
                expectEq("key", x, server);
                expectEq("kid", String(target["kid"]), (0, tokens_1.jwkThumbprint)(String(target["x"])));
                expectEq("kty/crv/alg", `${target["kty"]}/${target["crv"]}/${target["alg"]}`, "OKP/Ed25519/EdDSA");
                return;
            }
            case "key-binding":
                if (!bindingVerdict(server, target["ed25519PublicKey"], target["x25519PublicKey"], target["keyBindingSig"]))
                    throw new Error("keyBindingSig does not verify");
                return;
            default:
                throw new Error(`unknown check ${chk["check"]}`);
        }
    };
    return cases(doc).map((c, i) => [named(c, i), () => {
            wellFormed(c["request"]);
            (c["checks"] ?? []).forEach((chk, j) => {
                try {
                    run(c, chk);
                }
                catch (e) {
                    throw new Error(`check ${j} (${chk["check"]}): ${e.message}`);
                }
            });
        }]);
}
/** A transcript request body passes the server's own schema for its route (wire contract §3). */
function wellFormed(req) {
    if (req?.["method"] !== "POST")
        return;
    const path = String(req["path"]);
    const validator = path === "/api/auth/keypair/challenge" ? schema.challengeRequest
        : path === "/api/auth/keypair/token" ? schema.tokenRequest
            : path === "/v1/repos" ? schema.createRepoRequest
                : path === "/v1/key-binding" ? schema.keyBindingRequest
                    : path.endsWith("/pull") ? schema.pullRequest
                        : path.endsWith("/push") ? schema.pushRequest
                            : path.endsWith("/add-member") ? schema.addMemberRequest
                                : path.endsWith("/remove-member") ? schema.removeMemberRequest
                                    : null;
    if (validator === null)
        throw new Error(`no schema for ${path}`);
    try {
        validator(req["body"]);
    }
    catch (e) {
        throw new Error(`request body is malformed: ${e.detail ?? e.message}`);
    }
}
const CHECKERS = {
    "aad.json": (doc) => each(doc, (c) => expectEq("aad", (0, envelope_1.aad)(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["expectedAadHex"]))),
    "key-binding-message.json": (doc) => each(doc, (c) => expectEq("message", `${c["ed25519PublicKey"]}|${c["x25519PublicKey"]}`, c["expectedMessageUtf8"] ?? c["messageUtf8"])),
    "hkdf.json": (doc) => each(doc, (c) => {
        const salt = hex(c["saltHex"] ?? "");
        // Extract is HMAC(salt, ikm), an empty salt meaning HashLen zeros (RFC 5869 §2.2).
        const prk = (0, node_crypto_1.createHmac)("sha256", salt.length === 0 ? Buffer.alloc(32) : salt).update(hex(c["ikmHex"])).digest();
        expectEq("prk", prk, hex(c["prkHex"]));
        expectEq("okm", Buffer.from((0, node_crypto_1.hkdfSync)("sha256", hex(c["ikmHex"]), salt, hex(c["infoHex"] ?? ""), c["length"])), hex(c["okmHex"]));
    }),
    "x25519.json": (doc) => each(doc, (c) => expectEq("output", x25519Raw(hex(c["scalarHex"]), hex(c["uCoordinateHex"])), hex(c["outputHex"]))),
    "ed25519.json": (doc) => each(doc, (c) => {
        const key = (0, keys_1.privateKeyFromRaw)("Ed25519", hex(c["seedHex"]));
        expectEq("public key", (0, keys_1.rawPublic)(key), hex(c["publicKeyHex"]));
        expectEq("signature", (0, ed25519_1.signEd25519)(key, hex(c["messageHex"])), hex(c["signatureHex"]));
        if (!(0, ed25519_1.verifyStrict)(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"])))
            throw new Error("does not verify");
    }),
    "ed25519-policy.json": (doc) => each(doc, (c) => {
        const ok = (0, ed25519_1.verifyStrict)(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]));
        expectEq("verdict", ok ? "accept" : "reject", String(c["verdict"]));
    }),
    "key-binding.json": (doc) => each(doc, (c) => {
        expectEq("message", `${c["ed25519PublicKey"]}|${c["x25519PublicKey"]}`, c["messageUtf8"]);
        const ok = bindingVerdict(b64(c["issuerPublicKey"]), c["ed25519PublicKey"], c["x25519PublicKey"], c["keyBindingSig"]);
        expectEq("verdict", ok ? "accept" : "reject", String(c["verdict"]));
    }),
    "challenge.json": (doc) => each(doc, (c) => expectEq("verdict", challengeVerdict(c), c["verdict"] === "accept" ? "accept" : String(c["expectedError"]))),
    "payload-aead.json": (doc) => each(doc, (c) => checkPayload(c, Buffer.from(c["plaintextUtf8"], "utf8"))),
    "payload-aead-sizes.json": (doc) => each(doc, (c) => checkPayload(c, expandPlaintext(c["plaintext"]["seedHex"], c["plaintext"]["length"]))),
    "key-wrap.json": (doc) => each(doc, checkKeyWrap),
    "negative.json": (doc) => each(doc, checkNegative),
    "negative-extended.json": (doc) => each(doc, checkNegative),
    "federation.json": federationChecks,
    "identity.json": (doc) => each(doc, (c) => {
        const open = () => (0, sealedidentity_1.openSealedIdentity)(c["sealed"], c["unlockWith"], String(c["secret"]));
        if (c["verdict"] !== "accept")
            return expectError(c["expectedError"], open);
        const got = open();
        if (c["derivedKeyHex"] !== undefined)
            expectEq("derived key", got.slotKey, hex(c["derivedKeyHex"]));
        expectEq("ed25519 public key", (0, keys_1.rawPublic)((0, keys_1.privateKeyFromRaw)("Ed25519", got.ed25519Seed)).toString("base64"), c["ed25519PublicKey"]);
        expectEq("x25519 public key", (0, keys_1.rawPublic)((0, keys_1.privateKeyFromRaw)("X25519", got.x25519Private)).toString("base64"), c["x25519PublicKey"]);
    }),
    "transcript.json": transcriptChecks,
};
/** Order-insensitive comparison form of a decoded token. */
function canonical(v) {
    if (Array.isArray(v))
        return `[${v.map(canonical).join(",")}]`;
    if (v !== null && typeof v === "object") {
        const o = v;
        return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
    }
    return JSON.stringify(v);
}
/** Check every file listed in `<dir>/index.json`; files this checker does not know are all skipped. */
function verifyVectorDir(dir) {
    const index = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, "index.json"), "utf8"));
    const out = {};
    for (const entry of (index["vectors"] ?? [])) {
        const file = String(entry["file"]);
        const report = { checked: 0, failed: 0, skipped: 0, failures: [] };
        out[file] = report;
        let doc;
        try {
            doc = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(dir, file), "utf8"));
        }
        catch (e) {
            report.failed = 1;
            report.failures.push(`${file}: ${e.message}`);
            continue;
        }
        const checker = CHECKERS[file];
        if (checker === undefined) {
            report.skipped = cases(doc).length;
            continue;
        }
        for (const [name, run] of checker(doc)) {
            report.checked++;
            try {
                run();
            }
            catch (e) {
                report.failed++;
                report.failures.push(`${name}: ${e.message}`);
            }
        }
    }
    return out;
}
