"use strict";
// Federation tokens and addresses (protocol notes §7): invite requests and repo locators are
// base64url (no padding) over minified JSON written in the spec's member order and read in any
// order; an address is avp://<host[:port]>/<repoId> with the repoId everything after the first '/'.
Object.defineProperty(exports, "__esModule", { value: true });
exports.encodeInvite = encodeInvite;
exports.decodeInvite = decodeInvite;
exports.encodeLocator = encodeLocator;
exports.decodeLocator = decodeLocator;
exports.formatAddress = formatAddress;
exports.parseAddress = parseAddress;
const b64_1 = require("./b64");
const clienterror_1 = require("./clienterror");
const envelope_1 = require("./envelope");
const json_1 = require("./json");
const invalid = (what) => new clienterror_1.ClientError("invalid_encoding", what);
function decodeToken(token) {
    const raw = (0, b64_1.decodeUrl)(token);
    if (raw === null)
        throw invalid("token is not canonical base64url without padding");
    let doc;
    try {
        doc = (0, json_1.parseJson)(new TextDecoder("utf-8", { fatal: true }).decode(raw));
    }
    catch {
        throw invalid("token is not UTF-8 JSON");
    }
    if (!(0, json_1.isObject)(doc) || typeof doc["v"] !== "number")
        throw invalid("token is not an object with a numeric v");
    if (doc["v"] !== 1)
        throw new clienterror_1.ClientError("unsupported_scheme", `token version ${String(doc["v"])} is not 1`);
    return doc;
}
function key32(doc, name) {
    const v = doc[name];
    const raw = typeof v === "string" ? (0, b64_1.decodeStd)(v) : null;
    if (raw === null || raw.length !== 32)
        throw invalid(`${name} is not a base64 32-byte key`);
    return v;
}
function encodeInvite(i) {
    return (0, b64_1.encodeUrl)(Buffer.from(JSON.stringify({ v: 1, ed25519PublicKey: i.ed25519PublicKey, x25519PublicKey: i.x25519PublicKey })));
}
function decodeInvite(token) {
    const doc = decodeToken(token);
    return { ed25519PublicKey: key32(doc, "ed25519PublicKey"), x25519PublicKey: key32(doc, "x25519PublicKey") };
}
function encodeLocator(l) {
    const doc = { v: 1, host: l.host, repoId: l.repoId };
    if (l.schemeId !== undefined)
        doc["schemeId"] = l.schemeId;
    if (l.keyEpoch !== undefined)
        doc["keyEpoch"] = l.keyEpoch;
    if (l.issuerJwksUrl !== undefined)
        doc["issuerJwksUrl"] = l.issuerJwksUrl;
    return (0, b64_1.encodeUrl)(Buffer.from(JSON.stringify(doc)));
}
function decodeLocator(token) {
    const doc = decodeToken(token);
    const host = doc["host"];
    const repoId = doc["repoId"];
    if (typeof host !== "string" || host === "" || /[/\s]/.test(host))
        throw invalid("locator host is malformed");
    if (typeof repoId !== "string" || repoId === "")
        throw invalid("locator repoId is malformed");
    const out = { host, repoId };
    const { schemeId, keyEpoch, issuerJwksUrl } = doc;
    if (schemeId !== undefined) {
        if (typeof schemeId !== "string")
            throw invalid("locator schemeId is not a string");
        out.schemeId = schemeId;
    }
    if (keyEpoch !== undefined) {
        if (keyEpoch instanceof json_1.RawNumber)
            throw new clienterror_1.ClientError("counter_out_of_range", "locator keyEpoch is not an integer in [0, 2^53-1]");
        if (typeof keyEpoch !== "number")
            throw invalid("locator keyEpoch is not a number");
        out.keyEpoch = (0, envelope_1.checkCounter)(keyEpoch, "locator keyEpoch");
    }
    if (issuerJwksUrl !== undefined) {
        if (typeof issuerJwksUrl !== "string")
            throw invalid("locator issuerJwksUrl is not a string");
        out.issuerJwksUrl = issuerJwksUrl;
    }
    return out;
}
function formatAddress(host, repoId) {
    return `avp://${host}/${repoId}`;
}
// host: letters, digits, '-', '.', '_' or a bracketed IPv6 literal; optional port 1-65535.
const HOST = /^(?:[A-Za-z0-9._-]+|\[[0-9A-Fa-f:.]+\])(?::([0-9]{1,5}))?$/;
// repoId: non-empty, no whitespace, control characters, '?' or '#'.
const REPO_ID = /^[^\s\u0000-\u001f\u007f-\u009f?#]+$/;
function parseAddress(uri) {
    const bad = (why) => new clienterror_1.ClientError("invalid_address", `not an avp://<host>/<repoId> address: ${why}`);
    if (!uri.startsWith("avp://"))
        throw bad("the scheme must be avp://");
    const rest = uri.slice("avp://".length);
    const slash = rest.indexOf("/");
    if (slash < 0)
        throw bad("no repoId");
    const host = rest.slice(0, slash);
    const repoId = rest.slice(slash + 1);
    const m = HOST.exec(host);
    if (m === null)
        throw bad("malformed host");
    if (m[1] !== undefined && (Number(m[1]) < 1 || Number(m[1]) > 65535))
        throw bad("port out of range");
    if (!REPO_ID.test(repoId))
        throw bad("empty repoId, or whitespace, a control character, '?' or '#' in it");
    return { host, repoId };
}
