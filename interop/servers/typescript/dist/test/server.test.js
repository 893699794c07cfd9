"use strict";
// Every route, status and code of the wire contract against a real server on a free port.
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_crypto_1 = require("node:crypto");
const node_test_1 = require("node:test");
const b64_1 = require("../b64");
const ed25519_1 = require("../ed25519");
const envelope_1 = require("../envelope");
const identity_1 = require("../identity");
const helpers_1 = require("./helpers");
let srv;
(0, node_test_1.before)(async () => {
    srv = await (0, helpers_1.startServer)();
});
(0, node_test_1.after)(() => srv.close());
const u = () => srv.url;
(0, node_test_1.describe)("routing", () => {
    (0, node_test_1.it)("unknown routes, trailing slashes and empty segments are 404 not_found", async () => {
        for (const p of ["/", "/v1", "/v1/repos/", "/v1/repos//pull", "/v1/repos/a/pull/", "/v1/repos/a/nope", "/.well-known/avp/"]) {
            const r = await (0, helpers_1.call)(u(), "POST", p, {});
            node_assert_1.strict.equal(r.status, 404, p);
            node_assert_1.strict.equal(r.body.code, "not_found");
        }
    });
    (0, node_test_1.it)("a known route with the wrong method is 405 with Allow", async () => {
        const r = await (0, helpers_1.call)(u(), "GET", "/v1/repos/x/pull");
        node_assert_1.strict.equal(r.status, 405);
        node_assert_1.strict.equal(r.body.code, "method_not_allowed");
        node_assert_1.strict.equal(r.headers.get("allow"), "POST");
        const g = await (0, helpers_1.call)(u(), "POST", "/.well-known/avp", {});
        node_assert_1.strict.equal(g.status, 405);
        node_assert_1.strict.equal(g.headers.get("allow"), "GET");
    });
    (0, node_test_1.it)("the route is checked before the token, the method before the token", async () => {
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/nope", {})).status, 404);
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "PUT", "/v1/repos", {})).status, 405);
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", {})).status, 401);
    });
});
(0, node_test_1.describe)("discovery and keys", () => {
    (0, node_test_1.it)("GET /.well-known/avp publishes profiles, URLs, limits and implementation", async () => {
        const r = await (0, helpers_1.call)(u(), "GET", "/.well-known/avp");
        node_assert_1.strict.equal(r.status, 200);
        node_assert_1.strict.deepEqual(r.body.profiles, ["http-json"]);
        node_assert_1.strict.equal(r.body.avpVersion, "0.4");
        node_assert_1.strict.equal(r.body.issuerJwksUrl, `${u()}/.well-known/jwks.json`);
        node_assert_1.strict.equal(r.body.keyBindingUrl, `${u()}/v1/key-binding`);
        node_assert_1.strict.deepEqual(r.body.limits, {
            maxBodyBytes: 2097152,
            maxReposPerMember: 1000,
            maxMembersPerRepo: 256,
            nonceTtlSeconds: 120,
            tokenTtlSeconds: 3600,
        });
        node_assert_1.strict.equal(r.body.implementation.language, "typescript");
    });
    (0, node_test_1.it)("the configured public URL wins over the Host header", async () => {
        const s = await (0, helpers_1.startServer)({ publicUrl: "https://vault.example" });
        try {
            const r = await (0, helpers_1.call)(s.url, "GET", "/.well-known/avp");
            node_assert_1.strict.equal(r.body.issuerJwksUrl, "https://vault.example/.well-known/jwks.json");
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("JWKS holds one OKP/Ed25519 key whose kid is its RFC 7638 thumbprint", async () => {
        const r = await (0, helpers_1.call)(u(), "GET", "/.well-known/jwks.json");
        node_assert_1.strict.equal(r.status, 200);
        node_assert_1.strict.equal(r.body.keys.length, 1);
        const k = r.body.keys[0];
        node_assert_1.strict.equal(k.kty, "OKP");
        node_assert_1.strict.equal(k.crv, "Ed25519");
        node_assert_1.strict.equal(k.alg, "EdDSA");
        node_assert_1.strict.equal(k.use, "sig");
        const { createHash } = await Promise.resolve().then(() => require("node:crypto"));
        const thumb = createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${k.x}"}`).digest("base64url");
        node_assert_1.strict.equal(k.kid, thumb);
    });
});
(0, node_test_1.describe)("authentication", () => {
    (0, node_test_1.it)("challenge: any 32-byte key gets a self-authenticating nonce (wire contract §4); malformed bodies are 400", async () => {
        const key = (0, node_crypto_1.randomBytes)(32);
        const before = Date.now();
        const r = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: (0, b64_1.encodeStd)(key) });
        node_assert_1.strict.equal(r.status, 200);
        // The documented layout, recomputed here from the server's seed: 0x01 ‖ issuedAt ‖ 32 random ‖ tag.
        const nonce = Buffer.from(r.body.nonce, "base64");
        node_assert_1.strict.equal(nonce.length, 73);
        node_assert_1.strict.equal(nonce[0], 1);
        const issuedAt = Number(nonce.readBigUInt64BE(1));
        node_assert_1.strict.ok(issuedAt >= before && issuedAt <= Date.now());
        const nonceKey = Buffer.from((0, node_crypto_1.hkdfSync)("sha256", srv.app.store.signingSeed, Buffer.alloc(0), "avp/challenge-nonce-key/v1", 32));
        const tag = (0, node_crypto_1.createHmac)("sha256", nonceKey).update("avp/challenge-nonce/v1\0").update(key).update(nonce.subarray(0, 41)).digest();
        node_assert_1.strict.deepEqual(nonce.subarray(41), tag);
        for (const body of [{}, { ed25519PublicKey: (0, b64_1.encodeStd)(Buffer.alloc(31)) }, { ed25519PublicKey: 5 }, { ed25519PublicKey: (0, b64_1.encodeStd)(Buffer.alloc(32)), x: 1 }, []]) {
            const b = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/challenge", body);
            node_assert_1.strict.equal(b.status, 400, JSON.stringify(body));
            node_assert_1.strict.equal(b.body.code, "bad_request");
        }
    });
    (0, node_test_1.it)("token: signed raw nonce → JWT with aud/exp; the nonce is single use", async () => {
        const id = identity_1.Identity.random();
        const ch = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
        const body = { ed25519PublicKey: id.memberId, nonce: ch.body.nonce, signature: (0, b64_1.encodeStd)(id.sign(Buffer.from(ch.body.nonce, "base64"))) };
        const t = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", body);
        node_assert_1.strict.equal(t.status, 200);
        const [h, c] = t.body.token.split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString()));
        node_assert_1.strict.equal(h.alg, "EdDSA");
        node_assert_1.strict.equal(h.typ, "JWT");
        node_assert_1.strict.equal(c.sub, `key:${id.memberId}`);
        node_assert_1.strict.equal(c.kind, "keypair");
        node_assert_1.strict.equal(c.aud, c.iss);
        node_assert_1.strict.equal(t.body.expiresAt, c.exp * 1000);
        node_assert_1.strict.equal(c.exp - c.iat, 3600);
        const again = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", body);
        node_assert_1.strict.equal(again.status, 401);
        node_assert_1.strict.equal(again.body.code, "unauthorized");
    });
    (0, node_test_1.it)("signing the base64 text instead of the raw bytes, a foreign nonce, an unknown nonce → 401", async () => {
        const id = identity_1.Identity.random();
        const other = identity_1.Identity.random();
        const ch = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
        const text = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", {
            ed25519PublicKey: id.memberId,
            nonce: ch.body.nonce,
            signature: (0, b64_1.encodeStd)(id.sign(Buffer.from(ch.body.nonce, "utf8"))),
        });
        node_assert_1.strict.equal(text.status, 401);
        const foreign = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", {
            ed25519PublicKey: other.memberId,
            nonce: ch.body.nonce,
            signature: (0, b64_1.encodeStd)(other.sign(Buffer.from(ch.body.nonce, "base64"))),
        });
        node_assert_1.strict.equal(foreign.status, 401);
        const unknown = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", {
            ed25519PublicKey: id.memberId,
            nonce: (0, b64_1.encodeStd)((0, node_crypto_1.randomBytes)(32)),
            signature: (0, b64_1.encodeStd)(id.sign((0, node_crypto_1.randomBytes)(32))),
        });
        node_assert_1.strict.equal(unknown.status, 401);
        // None of the failed attempts burned the nonce.
        const ok = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", {
            ed25519PublicKey: id.memberId,
            nonce: ch.body.nonce,
            signature: (0, b64_1.encodeStd)(id.sign(Buffer.from(ch.body.nonce, "base64"))),
        });
        node_assert_1.strict.equal(ok.status, 200);
    });
    (0, node_test_1.it)("the small-order universal signature does not log in", async () => {
        const a = Buffer.alloc(32);
        a[0] = 1;
        const ch = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: (0, b64_1.encodeStd)(a) });
        node_assert_1.strict.equal(ch.status, 200);
        const r = await (0, helpers_1.call)(u(), "POST", "/api/auth/keypair/token", {
            ed25519PublicKey: (0, b64_1.encodeStd)(a),
            nonce: ch.body.nonce,
            signature: (0, b64_1.encodeStd)(Buffer.concat([a, Buffer.alloc(32)])),
        });
        node_assert_1.strict.equal(r.status, 401);
    });
    (0, node_test_1.it)("expired nonces and expired tokens are 401", async () => {
        let now = Date.now();
        const s = await (0, helpers_1.startServer)({}, undefined, () => now);
        try {
            const id = identity_1.Identity.random();
            const ch = await (0, helpers_1.call)(s.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
            now += 121_000;
            const late = await (0, helpers_1.call)(s.url, "POST", "/api/auth/keypair/token", {
                ed25519PublicKey: id.memberId,
                nonce: ch.body.nonce,
                signature: (0, b64_1.encodeStd)(id.sign(Buffer.from(ch.body.nonce, "base64"))),
            });
            node_assert_1.strict.equal(late.status, 401);
            const token = await (0, helpers_1.login)(s.url, id);
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(id).body, token)).status, 200);
            now += 3601_000;
            const r = await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(id).body, token);
            node_assert_1.strict.equal(r.status, 401);
            node_assert_1.strict.equal(r.body.code, "unauthorized");
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("malformed, tampered and foreign tokens are 401", async () => {
        const id = identity_1.Identity.random();
        const token = await (0, helpers_1.login)(u(), id);
        const other = await (0, helpers_1.startServer)();
        try {
            const foreign = await (0, helpers_1.login)(other.url, id);
            const [h, c, s] = token.split(".");
            const claims = JSON.parse(Buffer.from(c, "base64url").toString());
            claims.sub = `key:${identity_1.Identity.random().memberId}`;
            const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
            for (const auth of [undefined, "garbage", token + "x", forged, foreign]) {
                const r = await (0, helpers_1.call)(u(), "POST", "/v1/repos", (0, helpers_1.createBody)(id).body, auth);
                node_assert_1.strict.equal(r.status, 401, String(auth));
                node_assert_1.strict.equal(r.body.code, "unauthorized");
            }
            const spaced = await fetch(`${u()}/v1/repos`, { method: "POST", headers: { Authorization: `bearer   ${token}` }, body: "{}" });
            node_assert_1.strict.equal(spaced.status, 400, "scheme is case-insensitive and credentials are trimmed");
            const basic = await fetch(`${u()}/v1/repos`, { method: "POST", headers: { Authorization: `Basic ${token}` }, body: "{}" });
            node_assert_1.strict.equal(basic.status, 401);
        }
        finally {
            await other.close();
        }
    });
});
(0, node_test_1.describe)("createRepo", () => {
    (0, node_test_1.it)("returns the manifest as sent, incl. shareRefreshTokens and unknown fields; absent stays absent", async () => {
        const id = identity_1.Identity.random();
        const token = await (0, helpers_1.login)(u(), id);
        const withFlag = (0, helpers_1.createBody)(id, undefined, { shareRefreshTokens: true, futureField: { a: [1, "x", null] } });
        const r = await (0, helpers_1.call)(u(), "POST", "/v1/repos", withFlag.body, token);
        node_assert_1.strict.equal(r.status, 200);
        node_assert_1.strict.deepEqual(r.body, withFlag.body.manifest);
        const plain = (0, helpers_1.createBody)(id);
        const p = await (0, helpers_1.call)(u(), "POST", "/v1/repos", plain.body, token);
        node_assert_1.strict.equal(p.status, 200);
        node_assert_1.strict.equal("shareRefreshTokens" in p.body, false);
        const pulled = await (0, helpers_1.call)(u(), "POST", `/v1/repos/${withFlag.repoId}/pull`, { repoId: withFlag.repoId, knownPayloadVersion: 0 }, token);
        node_assert_1.strict.equal(pulled.body.manifest.shareRefreshTokens, true);
        node_assert_1.strict.deepEqual(pulled.body.manifest.futureField, { a: [1, "x", null] });
    });
    (0, node_test_1.it)("duplicate repoId → 409 duplicate_repo; other sole member → 403; wrong start counters → 400", async () => {
        const id = identity_1.Identity.random();
        const token = await (0, helpers_1.login)(u(), id);
        const c = (0, helpers_1.createBody)(id);
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", c.body, token)).status, 200);
        const dup = await (0, helpers_1.call)(u(), "POST", "/v1/repos", c.body, token);
        node_assert_1.strict.equal(dup.status, 409);
        node_assert_1.strict.equal(dup.body.code, "duplicate_repo");
        const stranger = (0, helpers_1.createBody)(identity_1.Identity.random());
        const f = await (0, helpers_1.call)(u(), "POST", "/v1/repos", stranger.body, token);
        node_assert_1.strict.equal(f.status, 403);
        node_assert_1.strict.equal(f.body.code, "forbidden");
        const two = (0, helpers_1.createBody)(id);
        two.body.manifest.members.push((0, helpers_1.memberEntry)(identity_1.Identity.random(), two.dataKey, 0));
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", two.body, token)).status, 403);
        const v2 = (0, helpers_1.createBody)(id);
        v2.body.manifest.payloadVersion = 2;
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", v2.body, token)).body.code, "bad_request");
        const mism = (0, helpers_1.createBody)(id);
        mism.body.initialEnvelope.repoId = "other";
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", mism.body, token)).status, 400);
    });
    (0, node_test_1.it)("schema: wrong scheme, bad base64 lengths, unknown fields in closed objects, bad repoIds → 400", async () => {
        const id = identity_1.Identity.random();
        const token = await (0, helpers_1.login)(u(), id);
        const mutations = [
            (b) => (b.manifest.schemeId = "other"),
            (b) => (b.manifest.members[0].wrappedDataKey.schemeId = "other"),
            (b) => (b.manifest.members[0].wrappedDataKey.iv = (0, b64_1.encodeStd)(Buffer.alloc(11))),
            (b) => (b.manifest.members[0].wrappedDataKey.ciphertext = (0, b64_1.encodeStd)(Buffer.alloc(47))),
            (b) => (b.manifest.members[0].x25519PublicKey = (0, b64_1.encodeStd)(Buffer.alloc(33))),
            (b) => (b.manifest.members[0].keyBindingSig = (0, b64_1.encodeStd)(Buffer.alloc(63))),
            (b) => (b.manifest.members[0].extra = 1),
            (b) => (b.initialEnvelope.extra = 1),
            (b) => (b.initialEnvelope.ciphertext = (0, b64_1.encodeStd)(Buffer.alloc(15))),
            (b) => (b.extra = 1),
            (b) => (b.manifest.shareRefreshTokens = "true"),
            (b) => (b.manifest.shareRefreshTokens = null),
            (b) => (b.manifest.members = null),
            (b) => (b.manifest.keyEpoch = "0"),
            (b) => (b.manifest.keyEpoch = -1),
            (b) => (b.manifest.keyEpoch = false),
            (b) => (b.manifest.repoId = b.initialEnvelope.repoId = ""),
            (b) => (b.manifest.repoId = b.initialEnvelope.repoId = ".."),
            (b) => (b.manifest.repoId = b.initialEnvelope.repoId = "a\u0001b"),
            (b) => (b.manifest.repoId = b.initialEnvelope.repoId = "x".repeat(256)),
            (b) => delete b.initialEnvelope,
        ];
        for (const [i, mutate] of mutations.entries()) {
            const c = (0, helpers_1.createBody)(id);
            mutate(c.body);
            const r = await (0, helpers_1.call)(u(), "POST", "/v1/repos", c.body, token);
            node_assert_1.strict.equal(r.status, 400, `mutation ${i}: ${JSON.stringify(r.body)}`);
            node_assert_1.strict.equal(r.body.code, "bad_request");
        }
        const ok = (0, helpers_1.createBody)(id, "é-✓-" + "x".repeat(200));
        ok.body.manifest.members[0].keyBindingSig = null;
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos", ok.body, token)).status, 200);
    });
    (0, node_test_1.it)("maxReposPerMember → 429 quota_exceeded with Retry-After: 60", async () => {
        const s = await (0, helpers_1.startServer)({ maxReposPerMember: 2 });
        try {
            const id = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, id);
            for (let i = 0; i < 2; i++)
                node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(id).body, token)).status, 200);
            const r = await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(id).body, token);
            node_assert_1.strict.equal(r.status, 429);
            node_assert_1.strict.equal(r.body.code, "quota_exceeded");
            node_assert_1.strict.equal(r.headers.get("retry-after"), "60");
        }
        finally {
            await s.close();
        }
    });
});
(0, node_test_1.describe)("pull and push", () => {
    (0, node_test_1.it)("pull: unchanged omits the envelope; otherwise the envelope comes back", async () => {
        const id = identity_1.Identity.random();
        const r = await (0, helpers_1.newRepo)(u(), id);
        const same = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 1 }, r.token);
        node_assert_1.strict.equal(same.status, 200);
        node_assert_1.strict.equal(same.body.unchanged, true);
        node_assert_1.strict.equal("envelope" in same.body, false);
        const other = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
        node_assert_1.strict.equal(other.body.unchanged, false);
        node_assert_1.strict.equal(other.body.envelope.payloadVersion, 1);
        const key = (0, envelope_1.unwrapDataKey)(other.body.manifest.members[0].wrappedDataKey, id.x25519);
        node_assert_1.strict.deepEqual(key, r.dataKey);
    });
    (0, node_test_1.it)("pull: unknown repo 404, non-member 403, path/body mismatch 400, counters as integer literals", async () => {
        const r = await (0, helpers_1.newRepo)(u(), identity_1.Identity.random());
        const stranger = await (0, helpers_1.login)(u(), identity_1.Identity.random());
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos/nope/pull", { repoId: "nope", knownPayloadVersion: 0 }, r.token)).status, 404);
        const f = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, stranger);
        node_assert_1.strict.equal(f.status, 403);
        node_assert_1.strict.equal(f.body.code, "forbidden");
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: "other", knownPayloadVersion: 0 }, r.token)).status, 400);
        for (const v of ["1.0", "1e0", "-1", "9007199254740992", "true", '"1"']) {
            const raw = `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":${v}}`;
            const b = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, raw, r.token);
            node_assert_1.strict.equal(b.status, 400, v);
        }
        const max = `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":9007199254740991}`;
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, max, r.token)).status, 200);
    });
    (0, node_test_1.it)("push: accepted advances; stale expected → 200 conflict; bad counters → 400", async () => {
        const id = identity_1.Identity.random();
        const r = await (0, helpers_1.newRepo)(u(), id);
        const push = (expected, env, extra = {}) => (0, helpers_1.call)(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: env, expectedPayloadVersion: expected, ...extra }, r.token);
        const ok = await push(1, (0, helpers_1.envelope)(r.dataKey, r.repoId, 2, 0));
        node_assert_1.strict.equal(ok.status, 200);
        node_assert_1.strict.deepEqual(ok.body, { accepted: true, payloadVersion: 2, keyEpoch: 0, conflict: false });
        const stale = await push(1, (0, helpers_1.envelope)(r.dataKey, r.repoId, 2, 0));
        node_assert_1.strict.deepEqual(stale.body, { accepted: false, payloadVersion: 2, keyEpoch: 0, conflict: true });
        // Conflict is decided before the envelope rules.
        node_assert_1.strict.equal((await push(1, (0, helpers_1.envelope)(r.dataKey, "elsewhere", 9, 0))).body.conflict, true);
        for (const env of [(0, helpers_1.envelope)(r.dataKey, r.repoId, 2, 0), (0, helpers_1.envelope)(r.dataKey, r.repoId, 4, 0), (0, helpers_1.envelope)(r.dataKey, r.repoId, 3, 1), (0, helpers_1.envelope)(r.dataKey, "elsewhere", 3, 0)]) {
            const b = await push(2, env);
            node_assert_1.strict.equal(b.status, 400, JSON.stringify(env));
            node_assert_1.strict.equal(b.body.code, "bad_request");
        }
        const pulled = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
        node_assert_1.strict.equal(pulled.body.manifest.payloadVersion, 2);
        node_assert_1.strict.equal(pulled.body.envelope.payloadVersion, 2);
    });
    (0, node_test_1.it)("push with rotatedMembers: validated, raises the epoch, replaces the roster", async () => {
        const alice = identity_1.Identity.random();
        const bob = identity_1.Identity.random();
        const r = await (0, helpers_1.newRepo)(u(), alice);
        const addBob = await (0, helpers_1.call)(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member: (0, helpers_1.memberEntry)(bob, r.dataKey, 0) }, r.token);
        node_assert_1.strict.equal(addBob.status, 200);
        const k1 = (0, node_crypto_1.randomBytes)(32);
        const push = (rotated, env = (0, helpers_1.envelope)(k1, r.repoId, 2, 1)) => (0, helpers_1.call)(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: env, expectedPayloadVersion: 1, rotatedMembers: rotated }, r.token);
        const bad = [
            [],
            [(0, helpers_1.memberEntry)(bob, k1, 1)], // caller missing
            [(0, helpers_1.memberEntry)(alice, k1, 1), (0, helpers_1.memberEntry)(alice, k1, 1)], // duplicate
            [(0, helpers_1.memberEntry)(alice, k1, 0), (0, helpers_1.memberEntry)(bob, k1, 1)], // wrong epoch
        ];
        for (const rotated of bad)
            node_assert_1.strict.equal((await push(rotated)).status, 400);
        // Dropping bob without raising the epoch.
        node_assert_1.strict.equal((await push([(0, helpers_1.memberEntry)(alice, r.dataKey, 0)], (0, helpers_1.envelope)(r.dataKey, r.repoId, 2, 0))).status, 400);
        const ok = await push([(0, helpers_1.memberEntry)(alice, k1, 1)]);
        node_assert_1.strict.deepEqual(ok.body, { accepted: true, payloadVersion: 2, keyEpoch: 1, conflict: false });
        const m = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
        node_assert_1.strict.deepEqual(m.body.manifest.members.map((e) => e.ed25519PublicKey), [alice.memberId]);
        node_assert_1.strict.equal(m.body.manifest.keyEpoch, 1);
        // The epoch never goes down.
        const down = await (0, helpers_1.call)(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: (0, helpers_1.envelope)(k1, r.repoId, 3, 0), expectedPayloadVersion: 2, rotatedMembers: [(0, helpers_1.memberEntry)(alice, k1, 0)] }, r.token);
        node_assert_1.strict.equal(down.status, 400);
    });
    (0, node_test_1.it)("push with too many rotated members → 429", async () => {
        const s = await (0, helpers_1.startServer)({ maxMembersPerRepo: 2 });
        try {
            const alice = identity_1.Identity.random();
            const r = await (0, helpers_1.newRepo)(s.url, alice);
            const k = (0, node_crypto_1.randomBytes)(32);
            const roster = [(0, helpers_1.memberEntry)(alice, k, 1), (0, helpers_1.memberEntry)(identity_1.Identity.random(), k, 1), (0, helpers_1.memberEntry)(identity_1.Identity.random(), k, 1)];
            const p = await (0, helpers_1.call)(s.url, "POST", `${r.path}/push`, { repoId: r.repoId, envelope: (0, helpers_1.envelope)(k, r.repoId, 2, 1), expectedPayloadVersion: 1, rotatedMembers: roster }, r.token);
            node_assert_1.strict.equal(p.status, 429);
            node_assert_1.strict.equal(p.headers.get("retry-after"), "60");
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("concurrent pushes at the same version: exactly one is accepted", async () => {
        const r = await (0, helpers_1.newRepo)(u(), identity_1.Identity.random());
        const results = await Promise.all(Array.from({ length: 20 }, () => (0, helpers_1.call)(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: (0, helpers_1.envelope)(r.dataKey, r.repoId, 2, 0), expectedPayloadVersion: 1 }, r.token)));
        node_assert_1.strict.ok(results.every((x) => x.status === 200));
        node_assert_1.strict.equal(results.filter((x) => x.body.accepted).length, 1);
        node_assert_1.strict.equal(results.filter((x) => x.body.conflict).length, 19);
    });
});
(0, node_test_1.describe)("membership", () => {
    (0, node_test_1.it)("addMember: idempotent for the same keys, 409 for another X25519 key, 400 for a stale epoch", async () => {
        const r = await (0, helpers_1.newRepo)(u(), identity_1.Identity.random());
        const bob = identity_1.Identity.random();
        const add = (member) => (0, helpers_1.call)(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member }, r.token);
        const entry = (0, helpers_1.memberEntry)(bob, r.dataKey, 0);
        const first = await add(entry);
        node_assert_1.strict.equal(first.status, 200);
        node_assert_1.strict.equal(first.body.members.length, 2);
        node_assert_1.strict.equal(first.body.payloadVersion, 1);
        const again = await add((0, helpers_1.memberEntry)(bob, r.dataKey, 0));
        node_assert_1.strict.equal(again.status, 200);
        node_assert_1.strict.equal(again.body.members.length, 2);
        // Idempotence is decided before the epoch rule (as the Python server does).
        node_assert_1.strict.equal((await add((0, helpers_1.memberEntry)(bob, r.dataKey, 7))).status, 200);
        const swapped = await add({ ...entry, x25519PublicKey: identity_1.Identity.random().x25519PublicB64 });
        node_assert_1.strict.equal(swapped.status, 409);
        node_assert_1.strict.equal(swapped.body.code, "duplicate_member");
        node_assert_1.strict.equal((await add((0, helpers_1.memberEntry)(identity_1.Identity.random(), r.dataKey, 1))).status, 400);
        // The new member can log in and pull.
        const bobToken = await (0, helpers_1.login)(u(), bob);
        const pulled = await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, bobToken);
        node_assert_1.strict.equal(pulled.status, 200);
        const mine = pulled.body.manifest.members.find((e) => e.ed25519PublicKey === bob.memberId);
        node_assert_1.strict.deepEqual((0, envelope_1.unwrapDataKey)(mine.wrappedDataKey, bob.x25519), r.dataKey);
    });
    (0, node_test_1.it)("addMember beyond maxMembersPerRepo → 429", async () => {
        const s = await (0, helpers_1.startServer)({ maxMembersPerRepo: 2 });
        try {
            const r = await (0, helpers_1.newRepo)(s.url, identity_1.Identity.random());
            const add = () => (0, helpers_1.call)(s.url, "POST", `${r.path}/add-member`, { repoId: r.repoId, member: (0, helpers_1.memberEntry)(identity_1.Identity.random(), r.dataKey, 0) }, r.token);
            node_assert_1.strict.equal((await add()).status, 200);
            const full = await add();
            node_assert_1.strict.equal(full.status, 429);
            node_assert_1.strict.equal(full.body.code, "quota_exceeded");
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("removeMember: rotation, stale version → 409 version_conflict, every rule → 400, unknown → 404", async () => {
        const alice = identity_1.Identity.random();
        const bob = identity_1.Identity.random();
        const carol = identity_1.Identity.random();
        const r = await (0, helpers_1.newRepo)(u(), alice);
        for (const m of [bob, carol])
            await (0, helpers_1.call)(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member: (0, helpers_1.memberEntry)(m, r.dataKey, 0) }, r.token);
        const k1 = (0, node_crypto_1.randomBytes)(32);
        const body = (o = {}) => ({
            repoId: r.repoId,
            removedMemberId: bob.memberId,
            rotatedEnvelope: (0, helpers_1.envelope)(k1, r.repoId, 2, 1),
            rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1), (0, helpers_1.memberEntry)(carol, k1, 1)],
            newKeyEpoch: 1,
            ...o,
        });
        const rm = (b) => (0, helpers_1.call)(u(), "POST", `${r.path}/remove-member`, b, r.token);
        const nf = await rm(body({ removedMemberId: identity_1.Identity.random().memberId }));
        node_assert_1.strict.equal(nf.status, 404);
        node_assert_1.strict.equal(nf.body.code, "not_found");
        const stale = await rm(body({ rotatedEnvelope: (0, helpers_1.envelope)(k1, r.repoId, 1, 1) }));
        node_assert_1.strict.equal(stale.status, 409);
        node_assert_1.strict.equal(stale.body.code, "version_conflict");
        const bad = [
            body({ rotatedEnvelope: (0, helpers_1.envelope)(k1, r.repoId, 3, 1) }),
            body({ newKeyEpoch: 0, rotatedEnvelope: (0, helpers_1.envelope)(k1, r.repoId, 2, 0), rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 0), (0, helpers_1.memberEntry)(carol, k1, 0)] }),
            body({ newKeyEpoch: 2 }),
            body({ rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1)] }),
            body({ rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1), (0, helpers_1.memberEntry)(carol, k1, 1), (0, helpers_1.memberEntry)(bob, k1, 1)] }),
            body({ rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1), (0, helpers_1.memberEntry)(alice, k1, 1)] }),
            body({ rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1), { ...(0, helpers_1.memberEntry)(carol, k1, 1), x25519PublicKey: identity_1.Identity.random().x25519PublicB64 }] }),
            body({ rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 1), (0, helpers_1.memberEntry)(carol, k1, 2)] }),
            body({ rotatedEnvelope: (0, helpers_1.envelope)(k1, "elsewhere", 2, 1) }),
        ];
        for (const [i, b] of bad.entries()) {
            const x = await rm(b);
            node_assert_1.strict.equal(x.status, 400, `case ${i}: ${JSON.stringify(x.body)}`);
        }
        const ok = await rm(body());
        node_assert_1.strict.equal(ok.status, 200);
        node_assert_1.strict.equal(ok.body.keyEpoch, 1);
        node_assert_1.strict.equal(ok.body.payloadVersion, 2);
        node_assert_1.strict.deepEqual(ok.body.members.map((e) => e.ed25519PublicKey), [alice.memberId, carol.memberId]);
        // Bob is out: 403 on pull; a removal computed before it is now stale.
        const bobToken = await (0, helpers_1.login)(u(), bob);
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, bobToken)).status, 403);
        node_assert_1.strict.equal((await rm(body({ removedMemberId: carol.memberId }))).status, 409);
        // The last member cannot leave an empty roster; a member may remove itself otherwise.
        const solo = await (0, helpers_1.newRepo)(u(), identity_1.Identity.random());
        const empty = await (0, helpers_1.call)(u(), "POST", `${solo.path}/remove-member`, {
            repoId: solo.repoId,
            removedMemberId: (await (0, helpers_1.call)(u(), "POST", `${solo.path}/pull`, { repoId: solo.repoId, knownPayloadVersion: 1 }, solo.token)).body.manifest.members[0].ed25519PublicKey,
            rotatedEnvelope: (0, helpers_1.envelope)(k1, solo.repoId, 2, 1),
            rewrappedMembers: [],
            newKeyEpoch: 1,
        }, solo.token);
        node_assert_1.strict.equal(empty.status, 400);
        const carolToken = await (0, helpers_1.login)(u(), carol);
        const self = await (0, helpers_1.call)(u(), "POST", `${r.path}/remove-member`, {
            repoId: r.repoId,
            removedMemberId: carol.memberId,
            rotatedEnvelope: (0, helpers_1.envelope)(k1, r.repoId, 3, 2),
            rewrappedMembers: [(0, helpers_1.memberEntry)(alice, k1, 2)],
            newKeyEpoch: 2,
        }, carolToken);
        node_assert_1.strict.equal(self.status, 200);
    });
    (0, node_test_1.it)("fetchMemberKey: percent-encoded ids, 404 for an unknown member, 400 for a malformed id", async () => {
        const alice = identity_1.Identity.random();
        const r = await (0, helpers_1.newRepo)(u(), alice, "repo+with/odd=chars é");
        node_assert_1.strict.equal(r.path, "/v1/repos/repo%2Bwith%2Fodd%3Dchars%20%C3%A9");
        const got = await (0, helpers_1.call)(u(), "GET", `${r.path}/member/${encodeURIComponent(alice.memberId)}`, undefined, r.token);
        node_assert_1.strict.equal(got.status, 200);
        node_assert_1.strict.equal(got.body.ed25519PublicKey, alice.memberId);
        const unknown = await (0, helpers_1.call)(u(), "GET", `${r.path}/member/${encodeURIComponent(identity_1.Identity.random().memberId)}`, undefined, r.token);
        node_assert_1.strict.equal(unknown.status, 404);
        for (const bad of ["not-base64", encodeURIComponent((0, b64_1.encodeStd)(Buffer.alloc(31))), "%ZZ", "%C3%28"]) {
            const x = await (0, helpers_1.call)(u(), "GET", `${r.path}/member/${bad}`, undefined, r.token);
            node_assert_1.strict.equal(x.status, 400, bad);
        }
        // '+' is a literal plus, never a space.
        const plus = await (0, helpers_1.call)(u(), "POST", "/v1/repos/repo+with%2Fodd%3Dchars%20%C3%A9/pull", { repoId: r.repoId, knownPayloadVersion: 1 }, r.token);
        node_assert_1.strict.equal(plus.status, 200);
        const space = await (0, helpers_1.call)(u(), "POST", "/v1/repos/repo%20with%2Fodd%3Dchars%20%C3%A9/pull", { repoId: "repo with/odd=chars é", knownPayloadVersion: 1 }, r.token);
        node_assert_1.strict.equal(space.status, 404);
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/repos/%E0%A4%A/pull", { repoId: "x", knownPayloadVersion: 1 }, r.token)).status, 400);
    });
});
(0, node_test_1.describe)("key binding", () => {
    (0, node_test_1.it)("signs ed25519|x25519 with the JWKS key; a low-order X25519 key → 400", async () => {
        const id = identity_1.Identity.random();
        const token = await (0, helpers_1.login)(u(), id);
        const r = await (0, helpers_1.call)(u(), "POST", "/v1/key-binding", { x25519PublicKey: id.x25519PublicB64 }, token);
        node_assert_1.strict.equal(r.status, 200);
        node_assert_1.strict.equal(r.body.ed25519PublicKey, id.memberId);
        node_assert_1.strict.equal(r.body.issuerJwksUrl, `${u()}/.well-known/jwks.json`);
        const jwks = await (0, helpers_1.call)(u(), "GET", "/.well-known/jwks.json");
        node_assert_1.strict.equal(r.body.kid, jwks.body.keys[0].kid);
        const issuerKey = Buffer.from(jwks.body.keys[0].x, "base64url");
        const msg = Buffer.from(`${id.memberId}|${id.x25519PublicB64}`, "utf8");
        node_assert_1.strict.ok((0, ed25519_1.verifyStrict)(issuerKey, msg, Buffer.from(r.body.keyBindingSig, "base64")));
        for (const low of [Buffer.alloc(32), Buffer.from("0100000000000000000000000000000000000000000000000000000000000000", "hex"), Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex")]) {
            const x = await (0, helpers_1.call)(u(), "POST", "/v1/key-binding", { x25519PublicKey: (0, b64_1.encodeStd)(low) }, token);
            node_assert_1.strict.equal(x.status, 400);
        }
        node_assert_1.strict.equal((await (0, helpers_1.call)(u(), "POST", "/v1/key-binding", { x25519PublicKey: id.x25519PublicB64 })).status, 401);
    });
});
