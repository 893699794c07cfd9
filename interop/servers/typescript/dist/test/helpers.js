"use strict";
// Test support: a real server on a free port, a raw JSON caller, logins and request bodies built
// with the client's real crypto.
Object.defineProperty(exports, "__esModule", { value: true });
exports.SHARED_DIR = exports.REPO_ROOT = void 0;
exports.sharedFile = sharedFile;
exports.startServer = startServer;
exports.call = call;
exports.login = login;
exports.memberEntry = memberEntry;
exports.envelope = envelope;
exports.createBody = createBody;
exports.newRepo = newRepo;
const node_crypto_1 = require("node:crypto");
const node_fs_1 = require("node:fs");
const node_path_1 = require("node:path");
const config_1 = require("../config");
const b64_1 = require("../b64");
const envelope_1 = require("../envelope");
const server_1 = require("../server");
const store_1 = require("../store");
const tokens_1 = require("../tokens");
exports.REPO_ROOT = (0, node_path_1.resolve)(__dirname, "../../../../..");
exports.SHARED_DIR = process.env["AVP_SHARED_DIR"] ?? (0, node_path_1.join)(exports.REPO_ROOT, "..", "shared");
/** Path of a file under ../shared, or a skip reason when it is absent. */
function sharedFile(rel) {
    const path = (0, node_path_1.join)(exports.SHARED_DIR, rel);
    return (0, node_fs_1.existsSync)(path) ? { path, skip: false } : { path: null, skip: `${path} not present` };
}
async function startServer(over = {}, store, clock) {
    const config = { ...config_1.DEFAULTS, port: 0, log: false, ...over };
    const st = store ?? store_1.Store.inMemory(tokens_1.Issuer.freshSeed());
    const app = (0, server_1.newApp)(config, st, clock);
    const server = (0, server_1.createServer)(app);
    await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
    const port = server.address().port;
    return {
        url: `http://127.0.0.1:${port}`,
        app,
        close: () => new Promise((ok) => {
            server.close(() => ok());
            server.closeAllConnections();
        }),
    };
}
async function call(url, method, path, body, token) {
    const headers = {};
    if (token !== undefined)
        headers["Authorization"] = `Bearer ${token}`;
    let payload;
    if (body !== undefined) {
        headers["Content-Type"] = "application/json";
        payload = typeof body === "string" ? body : JSON.stringify(body);
    }
    const res = await fetch(url + path, { method, headers, body: payload });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}
async function login(url, id) {
    const ch = await call(url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
    const sig = id.sign(Buffer.from(ch.body.nonce, "base64"));
    const tok = await call(url, "POST", "/api/auth/keypair/token", {
        ed25519PublicKey: id.memberId,
        nonce: ch.body.nonce,
        signature: (0, b64_1.encodeStd)(sig),
    });
    if (tok.status !== 200)
        throw new Error(`login failed: ${JSON.stringify(tok.body)}`);
    return tok.body.token;
}
function memberEntry(id, dataKey, keyEpoch) {
    return {
        ed25519PublicKey: id.memberId,
        x25519PublicKey: id.x25519PublicB64,
        wrappedDataKey: (0, envelope_1.wrapDataKey)(dataKey, id.x25519Public),
        keyEpoch,
    };
}
function envelope(dataKey, repoId, payloadVersion, keyEpoch, alts = []) {
    const pt = Buffer.from(JSON.stringify({ alts, payloadVersion }), "utf8");
    const { iv, ciphertext } = (0, envelope_1.encryptPayload)(dataKey, repoId, payloadVersion, keyEpoch, pt);
    return { repoId, payloadVersion, keyEpoch, iv: (0, b64_1.encodeStd)(iv), ciphertext: (0, b64_1.encodeStd)(ciphertext) };
}
function createBody(owner, repoId = (0, node_crypto_1.randomUUID)(), extra = {}) {
    const dataKey = (0, node_crypto_1.randomBytes)(32);
    return {
        dataKey,
        repoId,
        body: {
            manifest: {
                repoId,
                schemeId: "X25519-HKDF-SHA256-AESGCM-v1",
                keyEpoch: 0,
                payloadVersion: 1,
                members: [memberEntry(owner, dataKey, 0)],
                ...extra,
            },
            initialEnvelope: envelope(dataKey, repoId, 1, 0),
        },
    };
}
/** Log in and create a repository; returns what later requests need. */
async function newRepo(url, owner, repoId) {
    const token = await login(url, owner);
    const c = createBody(owner, repoId);
    const r = await call(url, "POST", "/v1/repos", c.body, token);
    if (r.status !== 200)
        throw new Error(`create failed: ${JSON.stringify(r.body)}`);
    return { token, repoId: c.repoId, dataKey: c.dataKey, path: `/v1/repos/${encodeURIComponent(c.repoId)}` };
}
