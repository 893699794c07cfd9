"use strict";
// Shape checks for every request body (wire contract §3): closed objects (except VaultManifest,
// whose unknown fields pass through), typed fields, integer counters in [0, 2^53-1], strict base64
// with exact decoded lengths, one scheme id, repoId rules. Validated objects are returned as the
// parsed JSON itself, typed, so what is stored is exactly what was sent.
Object.defineProperty(exports, "__esModule", { value: true });
exports.str = str;
exports.counter = counter;
exports.b64 = b64;
exports.keyId = keyId;
exports.checkRepoId = checkRepoId;
exports.wrappedKey = wrappedKey;
exports.memberEntry = memberEntry;
exports.memberList = memberList;
exports.envelope = envelope;
exports.manifest = manifest;
exports.challengeRequest = challengeRequest;
exports.tokenRequest = tokenRequest;
exports.createRepoRequest = createRepoRequest;
exports.pullRequest = pullRequest;
exports.pushRequest = pushRequest;
exports.addMemberRequest = addMemberRequest;
exports.removeMemberRequest = removeMemberRequest;
exports.keyBindingRequest = keyBindingRequest;
const b64_1 = require("./b64");
const envelope_1 = require("./envelope");
const errors_1 = require("./errors");
const json_1 = require("./json");
function fields(v, path, required, optional, open = false) {
    if (!(0, json_1.isObject)(v))
        throw (0, errors_1.badRequest)("malformed request", `${path || "body"}: must be an object`);
    for (const k of required) {
        if (!(k in v))
            throw (0, errors_1.badRequest)("malformed request", `${at(path, k)}: required`);
    }
    if (!open) {
        for (const k of Object.keys(v)) {
            if (!required.includes(k) && !optional.includes(k)) {
                throw (0, errors_1.badRequest)("malformed request", `${at(path, k)}: unknown field`);
            }
        }
    }
    return v;
}
const at = (path, k) => (path ? `${path}.${k}` : k);
function typed(v, path, kind) {
    const ok = kind === "string"
        ? typeof v === "string"
        : kind === "boolean"
            ? typeof v === "boolean"
            : kind === "counter"
                ? typeof v === "number" && Number.isSafeInteger(v) && v >= 0
                : kind === "array"
                    ? Array.isArray(v)
                    : (0, json_1.isObject)(v);
    if (!ok) {
        const what = kind === "counter" ? "an integer in [0, 2^53-1]" : `a ${kind}`;
        throw (0, errors_1.badRequest)("malformed request", `${path}: must be ${what}`);
    }
}
function str(o, path, k) {
    typed(o[k], at(path, k), "string");
    return o[k];
}
function counter(o, path, k) {
    typed(o[k], at(path, k), "counter");
    return o[k];
}
/** A strict-base64 field decoding to exactly `len` bytes (or at least `min`). */
function b64(o, path, k, len) {
    const s = str(o, path, k);
    const bytes = (0, b64_1.decodeStd)(s);
    if (bytes === null)
        throw (0, errors_1.badRequest)("malformed request", `${at(path, k)}: not canonical standard base64`);
    if (typeof len === "number" ? bytes.length !== len : bytes.length < len.min) {
        const want = typeof len === "number" ? `${len}` : `at least ${len.min}`;
        throw (0, errors_1.badRequest)("malformed request", `${at(path, k)}: must decode to ${want} bytes`);
    }
    return bytes;
}
/** A member id or other 32-byte key given as a string outside a body (e.g. a path segment). */
function keyId(s, what) {
    const bytes = (0, b64_1.decodeStd)(s);
    if (bytes === null || bytes.length !== 32)
        throw (0, errors_1.badRequest)("malformed request", `${what}: not a base64 32-byte key`);
    return bytes;
}
function checkRepoId(id, where) {
    // Length in characters (code points), as the contract counts them.
    const n = [...id].length;
    if (n < 1 || n > 255 || /[\u0000-\u001f\u007f]/.test(id) || id === "." || id === ".." || !id.isWellFormed()) {
        throw (0, errors_1.badRequest)("malformed request", `${where}: invalid repoId`);
    }
}
function scheme(o, path) {
    if (str(o, path, "schemeId") !== envelope_1.SCHEME_ID) {
        throw (0, errors_1.badRequest)("unsupported scheme", `${at(path, "schemeId")}: must be ${envelope_1.SCHEME_ID}`);
    }
}
function wrappedKey(v, path) {
    const o = fields(v, path, ["schemeId", "ephemeralPublicKey", "iv", "ciphertext"], []);
    scheme(o, path);
    b64(o, path, "ephemeralPublicKey", 32);
    b64(o, path, "iv", 12);
    b64(o, path, "ciphertext", 48);
    return o;
}
function memberEntry(v, path) {
    const o = fields(v, path, ["ed25519PublicKey", "x25519PublicKey", "wrappedDataKey", "keyEpoch"], ["keyBindingSig"]);
    b64(o, path, "ed25519PublicKey", 32);
    b64(o, path, "x25519PublicKey", 32);
    wrappedKey(o["wrappedDataKey"], at(path, "wrappedDataKey"));
    counter(o, path, "keyEpoch");
    if ("keyBindingSig" in o && o["keyBindingSig"] !== null)
        b64(o, path, "keyBindingSig", 64);
    return o;
}
function memberList(v, path) {
    typed(v, path, "array");
    return v.map((m, i) => memberEntry(m, `${path}[${i}]`));
}
function envelope(v, path) {
    const o = fields(v, path, ["repoId", "payloadVersion", "keyEpoch", "iv", "ciphertext"], []);
    checkRepoId(str(o, path, "repoId"), at(path, "repoId"));
    counter(o, path, "payloadVersion");
    counter(o, path, "keyEpoch");
    b64(o, path, "iv", 12);
    b64(o, path, "ciphertext", { min: 16 });
    return o;
}
function manifest(v, path) {
    const o = fields(v, path, ["repoId", "schemeId", "keyEpoch", "payloadVersion", "members"], [], true);
    checkRepoId(str(o, path, "repoId"), at(path, "repoId"));
    scheme(o, path);
    counter(o, path, "keyEpoch");
    counter(o, path, "payloadVersion");
    memberList(o["members"], at(path, "members"));
    if ("shareRefreshTokens" in o)
        typed(o["shareRefreshTokens"], at(path, "shareRefreshTokens"), "boolean");
    return o;
}
// --- request bodies ------------------------------------------------------------------------------
function challengeRequest(body) {
    const o = fields(body, "", ["ed25519PublicKey"], []);
    return { key: b64(o, "", "ed25519PublicKey", 32) };
}
function tokenRequest(body) {
    const o = fields(body, "", ["ed25519PublicKey", "nonce", "signature"], []);
    const key = b64(o, "", "ed25519PublicKey", 32);
    // Any nonce of at least 32 bytes is well-formed; whether this server issued it is a 401 question.
    const nonce = b64(o, "", "nonce", { min: 32 });
    const signature = b64(o, "", "signature", 64);
    return { key, nonce, signature };
}
function createRepoRequest(body) {
    const o = fields(body, "", ["manifest", "initialEnvelope"], []);
    return { manifest: manifest(o["manifest"], "manifest"), envelope: envelope(o["initialEnvelope"], "initialEnvelope") };
}
function pullRequest(body) {
    const o = fields(body, "", ["repoId", "knownPayloadVersion"], []);
    const repoId = str(o, "", "repoId");
    checkRepoId(repoId, "repoId");
    return { repoId, known: counter(o, "", "knownPayloadVersion") };
}
function pushRequest(body) {
    const o = fields(body, "", ["repoId", "envelope", "expectedPayloadVersion"], ["rotatedMembers"]);
    const repoId = str(o, "", "repoId");
    checkRepoId(repoId, "repoId");
    const rotated = o["rotatedMembers"];
    return {
        repoId,
        envelope: envelope(o["envelope"], "envelope"),
        expected: counter(o, "", "expectedPayloadVersion"),
        rotatedMembers: rotated === undefined || rotated === null ? null : memberList(rotated, "rotatedMembers"),
    };
}
function addMemberRequest(body) {
    const o = fields(body, "", ["repoId", "member"], []);
    const repoId = str(o, "", "repoId");
    checkRepoId(repoId, "repoId");
    return { repoId, member: memberEntry(o["member"], "member") };
}
function removeMemberRequest(body) {
    const o = fields(body, "", ["repoId", "removedMemberId", "rotatedEnvelope", "rewrappedMembers", "newKeyEpoch"], []);
    const repoId = str(o, "", "repoId");
    checkRepoId(repoId, "repoId");
    b64(o, "", "removedMemberId", 32);
    return {
        repoId,
        removedMemberId: o["removedMemberId"],
        envelope: envelope(o["rotatedEnvelope"], "rotatedEnvelope"),
        members: memberList(o["rewrappedMembers"], "rewrappedMembers"),
        newKeyEpoch: counter(o, "", "newKeyEpoch"),
    };
}
function keyBindingRequest(body) {
    const o = fields(body, "", ["x25519PublicKey"], []);
    return { x25519: b64(o, "", "x25519PublicKey", 32), x25519B64: o["x25519PublicKey"] };
}
