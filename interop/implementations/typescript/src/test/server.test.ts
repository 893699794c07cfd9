// Every route, status and code of the wire contract against a real server on a free port.

import { strict as assert } from "node:assert";
import { createHmac, hkdfSync, randomBytes } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { encodeStd } from "../b64";
import { verifyStrict } from "../ed25519";
import { unwrapDataKey } from "../envelope";
import { Identity } from "../identity";
import { call, createBody, envelope, login, memberEntry, newRepo, Running, startServer } from "./helpers";

let srv: Running;
before(async () => {
  srv = await startServer();
});
after(() => srv.close());

const u = (): string => srv.url;

describe("routing", () => {
  it("unknown routes, trailing slashes and empty segments are 404 not_found", async () => {
    for (const p of ["/", "/v1", "/v1/repos/", "/v1/repos//pull", "/v1/repos/a/pull/", "/v1/repos/a/nope", "/.well-known/avp/"]) {
      const r = await call(u(), "POST", p, {});
      assert.equal(r.status, 404, p);
      assert.equal(r.body.code, "not_found");
    }
  });

  it("a known route with the wrong method is 405 with Allow", async () => {
    const r = await call(u(), "GET", "/v1/repos/x/pull");
    assert.equal(r.status, 405);
    assert.equal(r.body.code, "method_not_allowed");
    assert.equal(r.headers.get("allow"), "POST");
    const g = await call(u(), "POST", "/.well-known/avp", {});
    assert.equal(g.status, 405);
    assert.equal(g.headers.get("allow"), "GET");
  });

  it("the route is checked before the token, the method before the token", async () => {
    assert.equal((await call(u(), "POST", "/v1/nope", {})).status, 404);
    assert.equal((await call(u(), "PUT", "/v1/repos", {})).status, 405);
    assert.equal((await call(u(), "POST", "/v1/repos", {})).status, 401);
  });
});

describe("discovery and keys", () => {
  it("GET /.well-known/avp publishes profiles, URLs, limits and implementation", async () => {
    const r = await call(u(), "GET", "/.well-known/avp");
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.profiles, ["http-json"]);
    assert.equal(r.body.avpVersion, "0.4");
    assert.equal(r.body.issuerJwksUrl, `${u()}/.well-known/jwks.json`);
    assert.equal(r.body.keyBindingUrl, `${u()}/v1/key-binding`);
    assert.deepEqual(r.body.limits, {
      maxBodyBytes: 2097152,
      maxReposPerMember: 1000,
      maxMembersPerRepo: 256,
      nonceTtlSeconds: 120,
      tokenTtlSeconds: 3600,
    });
    assert.equal(r.body.implementation.language, "typescript");
  });

  it("the configured public URL wins over the Host header", async () => {
    const s = await startServer({ publicUrl: "https://vault.example" });
    try {
      const r = await call(s.url, "GET", "/.well-known/avp");
      assert.equal(r.body.issuerJwksUrl, "https://vault.example/.well-known/jwks.json");
    } finally {
      await s.close();
    }
  });

  it("JWKS holds one OKP/Ed25519 key whose kid is its RFC 7638 thumbprint", async () => {
    const r = await call(u(), "GET", "/.well-known/jwks.json");
    assert.equal(r.status, 200);
    assert.equal(r.body.keys.length, 1);
    const k = r.body.keys[0];
    assert.equal(k.kty, "OKP");
    assert.equal(k.crv, "Ed25519");
    assert.equal(k.alg, "EdDSA");
    assert.equal(k.use, "sig");
    const { createHash } = await import("node:crypto");
    const thumb = createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${k.x}"}`).digest("base64url");
    assert.equal(k.kid, thumb);
  });
});

describe("authentication", () => {
  it("challenge: any 32-byte key gets a self-authenticating nonce (wire contract §4); malformed bodies are 400", async () => {
    const key = randomBytes(32);
    const before = Date.now();
    const r = await call(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: encodeStd(key) });
    assert.equal(r.status, 200);
    // The documented layout, recomputed here from the server's seed: 0x01 ‖ issuedAt ‖ 32 random ‖ tag.
    const nonce = Buffer.from(r.body.nonce, "base64");
    assert.equal(nonce.length, 73);
    assert.equal(nonce[0], 1);
    const issuedAt = Number(nonce.readBigUInt64BE(1));
    assert.ok(issuedAt >= before && issuedAt <= Date.now());
    const nonceKey = Buffer.from(hkdfSync("sha256", srv.app.store.signingSeed, Buffer.alloc(0), "avp/challenge-nonce-key/v1", 32));
    const tag = createHmac("sha256", nonceKey).update("avp/challenge-nonce/v1\0").update(key).update(nonce.subarray(0, 41)).digest();
    assert.deepEqual(nonce.subarray(41), tag);
    for (const body of [{}, { ed25519PublicKey: encodeStd(Buffer.alloc(31)) }, { ed25519PublicKey: 5 }, { ed25519PublicKey: encodeStd(Buffer.alloc(32)), x: 1 }, []]) {
      const b = await call(u(), "POST", "/api/auth/keypair/challenge", body);
      assert.equal(b.status, 400, JSON.stringify(body));
      assert.equal(b.body.code, "bad_request");
    }
  });

  it("token: signed raw nonce → JWT with aud/exp; the nonce is single use", async () => {
    const id = Identity.random();
    const ch = await call(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
    const body = { ed25519PublicKey: id.memberId, nonce: ch.body.nonce, signature: encodeStd(id.sign(Buffer.from(ch.body.nonce, "base64"))) };
    const t = await call(u(), "POST", "/api/auth/keypair/token", body);
    assert.equal(t.status, 200);
    const [h, c] = (t.body.token as string).split(".").slice(0, 2).map((p) => JSON.parse(Buffer.from(p, "base64url").toString()));
    assert.equal(h.alg, "EdDSA");
    assert.equal(h.typ, "JWT");
    assert.equal(c.sub, `key:${id.memberId}`);
    assert.equal(c.kind, "keypair");
    assert.equal(c.aud, c.iss);
    assert.equal(t.body.expiresAt, c.exp * 1000);
    assert.equal(c.exp - c.iat, 3600);
    const again = await call(u(), "POST", "/api/auth/keypair/token", body);
    assert.equal(again.status, 401);
    assert.equal(again.body.code, "unauthorized");
  });

  it("signing the base64 text instead of the raw bytes, a foreign nonce, an unknown nonce → 401", async () => {
    const id = Identity.random();
    const other = Identity.random();
    const ch = await call(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
    const text = await call(u(), "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: id.memberId,
      nonce: ch.body.nonce,
      signature: encodeStd(id.sign(Buffer.from(ch.body.nonce, "utf8"))),
    });
    assert.equal(text.status, 401);
    const foreign = await call(u(), "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: other.memberId,
      nonce: ch.body.nonce,
      signature: encodeStd(other.sign(Buffer.from(ch.body.nonce, "base64"))),
    });
    assert.equal(foreign.status, 401);
    const unknown = await call(u(), "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: id.memberId,
      nonce: encodeStd(randomBytes(32)),
      signature: encodeStd(id.sign(randomBytes(32))),
    });
    assert.equal(unknown.status, 401);
    // None of the failed attempts burned the nonce.
    const ok = await call(u(), "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: id.memberId,
      nonce: ch.body.nonce,
      signature: encodeStd(id.sign(Buffer.from(ch.body.nonce, "base64"))),
    });
    assert.equal(ok.status, 200);
  });

  it("the small-order universal signature does not log in", async () => {
    const a = Buffer.alloc(32);
    a[0] = 1;
    const ch = await call(u(), "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: encodeStd(a) });
    assert.equal(ch.status, 200);
    const r = await call(u(), "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: encodeStd(a),
      nonce: ch.body.nonce,
      signature: encodeStd(Buffer.concat([a, Buffer.alloc(32)])),
    });
    assert.equal(r.status, 401);
  });

  it("expired nonces and expired tokens are 401", async () => {
    let now = Date.now();
    const s = await startServer({}, undefined, () => now);
    try {
      const id = Identity.random();
      const ch = await call(s.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
      now += 121_000;
      const late = await call(s.url, "POST", "/api/auth/keypair/token", {
        ed25519PublicKey: id.memberId,
        nonce: ch.body.nonce,
        signature: encodeStd(id.sign(Buffer.from(ch.body.nonce, "base64"))),
      });
      assert.equal(late.status, 401);
      const token = await login(s.url, id);
      assert.equal((await call(s.url, "POST", "/v1/repos", createBody(id).body, token)).status, 200);
      now += 3601_000;
      const r = await call(s.url, "POST", "/v1/repos", createBody(id).body, token);
      assert.equal(r.status, 401);
      assert.equal(r.body.code, "unauthorized");
    } finally {
      await s.close();
    }
  });

  it("malformed, tampered and foreign tokens are 401", async () => {
    const id = Identity.random();
    const token = await login(u(), id);
    const other = await startServer();
    try {
      const foreign = await login(other.url, id);
      const [h, c, s] = token.split(".") as [string, string, string];
      const claims = JSON.parse(Buffer.from(c, "base64url").toString());
      claims.sub = `key:${Identity.random().memberId}`;
      const forged = `${h}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.${s}`;
      for (const auth of [undefined, "garbage", token + "x", forged, foreign]) {
        const r = await call(u(), "POST", "/v1/repos", createBody(id).body, auth);
        assert.equal(r.status, 401, String(auth));
        assert.equal(r.body.code, "unauthorized");
      }
      const spaced = await fetch(`${u()}/v1/repos`, { method: "POST", headers: { Authorization: `bearer   ${token}` }, body: "{}" });
      assert.equal(spaced.status, 400, "scheme is case-insensitive and credentials are trimmed");
      const basic = await fetch(`${u()}/v1/repos`, { method: "POST", headers: { Authorization: `Basic ${token}` }, body: "{}" });
      assert.equal(basic.status, 401);
    } finally {
      await other.close();
    }
  });
});

describe("createRepo", () => {
  it("returns the manifest as sent, incl. shareRefreshTokens and unknown fields; absent stays absent", async () => {
    const id = Identity.random();
    const token = await login(u(), id);
    const withFlag = createBody(id, undefined, { shareRefreshTokens: true, futureField: { a: [1, "x", null] } });
    const r = await call(u(), "POST", "/v1/repos", withFlag.body, token);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, withFlag.body.manifest);
    const plain = createBody(id);
    const p = await call(u(), "POST", "/v1/repos", plain.body, token);
    assert.equal(p.status, 200);
    assert.equal("shareRefreshTokens" in p.body, false);
    const pulled = await call(u(), "POST", `/v1/repos/${withFlag.repoId}/pull`, { repoId: withFlag.repoId, knownPayloadVersion: 0 }, token);
    assert.equal(pulled.body.manifest.shareRefreshTokens, true);
    assert.deepEqual(pulled.body.manifest.futureField, { a: [1, "x", null] });
  });

  it("duplicate repoId → 409 duplicate_repo; other sole member → 403; wrong start counters → 400", async () => {
    const id = Identity.random();
    const token = await login(u(), id);
    const c = createBody(id);
    assert.equal((await call(u(), "POST", "/v1/repos", c.body, token)).status, 200);
    const dup = await call(u(), "POST", "/v1/repos", c.body, token);
    assert.equal(dup.status, 409);
    assert.equal(dup.body.code, "duplicate_repo");
    const stranger = createBody(Identity.random());
    const f = await call(u(), "POST", "/v1/repos", stranger.body, token);
    assert.equal(f.status, 403);
    assert.equal(f.body.code, "forbidden");
    const two = createBody(id);
    two.body.manifest.members.push(memberEntry(Identity.random(), two.dataKey, 0) as never);
    assert.equal((await call(u(), "POST", "/v1/repos", two.body, token)).status, 403);
    const v2 = createBody(id);
    v2.body.manifest.payloadVersion = 2;
    assert.equal((await call(u(), "POST", "/v1/repos", v2.body, token)).body.code, "bad_request");
    const mism = createBody(id);
    mism.body.initialEnvelope.repoId = "other";
    assert.equal((await call(u(), "POST", "/v1/repos", mism.body, token)).status, 400);
  });

  it("schema: wrong scheme, bad base64 lengths, unknown fields in closed objects, bad repoIds → 400", async () => {
    const id = Identity.random();
    const token = await login(u(), id);
    const mutations: Array<(b: any) => void> = [
      (b) => (b.manifest.schemeId = "other"),
      (b) => (b.manifest.members[0].wrappedDataKey.schemeId = "other"),
      (b) => (b.manifest.members[0].wrappedDataKey.iv = encodeStd(Buffer.alloc(11))),
      (b) => (b.manifest.members[0].wrappedDataKey.ciphertext = encodeStd(Buffer.alloc(47))),
      (b) => (b.manifest.members[0].x25519PublicKey = encodeStd(Buffer.alloc(33))),
      (b) => (b.manifest.members[0].keyBindingSig = encodeStd(Buffer.alloc(63))),
      (b) => (b.manifest.members[0].extra = 1),
      (b) => (b.initialEnvelope.extra = 1),
      (b) => (b.initialEnvelope.ciphertext = encodeStd(Buffer.alloc(15))),
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
      const c = createBody(id);
      mutate(c.body);
      const r = await call(u(), "POST", "/v1/repos", c.body, token);
      assert.equal(r.status, 400, `mutation ${i}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.code, "bad_request");
    }
    const ok = createBody(id, "é-✓-" + "x".repeat(200));
    ok.body.manifest.members[0]!.keyBindingSig = null as never;
    assert.equal((await call(u(), "POST", "/v1/repos", ok.body, token)).status, 200);
  });

  it("maxReposPerMember → 429 quota_exceeded with Retry-After: 60", async () => {
    const s = await startServer({ maxReposPerMember: 2 });
    try {
      const id = Identity.random();
      const token = await login(s.url, id);
      for (let i = 0; i < 2; i++) assert.equal((await call(s.url, "POST", "/v1/repos", createBody(id).body, token)).status, 200);
      const r = await call(s.url, "POST", "/v1/repos", createBody(id).body, token);
      assert.equal(r.status, 429);
      assert.equal(r.body.code, "quota_exceeded");
      assert.equal(r.headers.get("retry-after"), "60");
    } finally {
      await s.close();
    }
  });
});

describe("pull and push", () => {
  it("pull: unchanged omits the envelope; otherwise the envelope comes back", async () => {
    const id = Identity.random();
    const r = await newRepo(u(), id);
    const same = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 1 }, r.token);
    assert.equal(same.status, 200);
    assert.equal(same.body.unchanged, true);
    assert.equal("envelope" in same.body, false);
    const other = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
    assert.equal(other.body.unchanged, false);
    assert.equal(other.body.envelope.payloadVersion, 1);
    const key = unwrapDataKey(other.body.manifest.members[0].wrappedDataKey, id.x25519);
    assert.deepEqual(key, r.dataKey);
  });

  it("pull: unknown repo 404, non-member 403, path/body mismatch 400, counters as integer literals", async () => {
    const r = await newRepo(u(), Identity.random());
    const stranger = await login(u(), Identity.random());
    assert.equal((await call(u(), "POST", "/v1/repos/nope/pull", { repoId: "nope", knownPayloadVersion: 0 }, r.token)).status, 404);
    const f = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, stranger);
    assert.equal(f.status, 403);
    assert.equal(f.body.code, "forbidden");
    assert.equal((await call(u(), "POST", `${r.path}/pull`, { repoId: "other", knownPayloadVersion: 0 }, r.token)).status, 400);
    for (const v of ["1.0", "1e0", "-1", "9007199254740992", "true", '"1"']) {
      const raw = `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":${v}}`;
      const b = await call(u(), "POST", `${r.path}/pull`, raw, r.token);
      assert.equal(b.status, 400, v);
    }
    const max = `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":9007199254740991}`;
    assert.equal((await call(u(), "POST", `${r.path}/pull`, max, r.token)).status, 200);
  });

  it("push: accepted advances; stale expected → 200 conflict; bad counters → 400", async () => {
    const id = Identity.random();
    const r = await newRepo(u(), id);
    const push = (expected: number, env: unknown, extra: Record<string, unknown> = {}) =>
      call(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: env, expectedPayloadVersion: expected, ...extra }, r.token);
    const ok = await push(1, envelope(r.dataKey, r.repoId, 2, 0));
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.body, { accepted: true, payloadVersion: 2, keyEpoch: 0, conflict: false });
    const stale = await push(1, envelope(r.dataKey, r.repoId, 2, 0));
    assert.deepEqual(stale.body, { accepted: false, payloadVersion: 2, keyEpoch: 0, conflict: true });
    // Conflict is decided before the envelope rules.
    assert.equal((await push(1, envelope(r.dataKey, "elsewhere", 9, 0))).body.conflict, true);
    for (const env of [envelope(r.dataKey, r.repoId, 2, 0), envelope(r.dataKey, r.repoId, 4, 0), envelope(r.dataKey, r.repoId, 3, 1), envelope(r.dataKey, "elsewhere", 3, 0)]) {
      const b = await push(2, env);
      assert.equal(b.status, 400, JSON.stringify(env));
      assert.equal(b.body.code, "bad_request");
    }
    const pulled = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
    assert.equal(pulled.body.manifest.payloadVersion, 2);
    assert.equal(pulled.body.envelope.payloadVersion, 2);
  });

  it("push with rotatedMembers: validated, raises the epoch, replaces the roster", async () => {
    const alice = Identity.random();
    const bob = Identity.random();
    const r = await newRepo(u(), alice);
    const addBob = await call(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member: memberEntry(bob, r.dataKey, 0) }, r.token);
    assert.equal(addBob.status, 200);
    const k1 = randomBytes(32);
    const push = (rotated: unknown, env = envelope(k1, r.repoId, 2, 1)) =>
      call(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: env, expectedPayloadVersion: 1, rotatedMembers: rotated }, r.token);
    const bad: unknown[] = [
      [],
      [memberEntry(bob, k1, 1)], // caller missing
      [memberEntry(alice, k1, 1), memberEntry(alice, k1, 1)], // duplicate
      [memberEntry(alice, k1, 0), memberEntry(bob, k1, 1)], // wrong epoch
    ];
    for (const rotated of bad) assert.equal((await push(rotated)).status, 400);
    // Dropping bob without raising the epoch.
    assert.equal((await push([memberEntry(alice, r.dataKey, 0)], envelope(r.dataKey, r.repoId, 2, 0))).status, 400);
    const ok = await push([memberEntry(alice, k1, 1)]);
    assert.deepEqual(ok.body, { accepted: true, payloadVersion: 2, keyEpoch: 1, conflict: false });
    const m = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, r.token);
    assert.deepEqual(m.body.manifest.members.map((e: any) => e.ed25519PublicKey), [alice.memberId]);
    assert.equal(m.body.manifest.keyEpoch, 1);
    // The epoch never goes down.
    const down = await call(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: envelope(k1, r.repoId, 3, 0), expectedPayloadVersion: 2, rotatedMembers: [memberEntry(alice, k1, 0)] }, r.token);
    assert.equal(down.status, 400);
  });

  it("push with too many rotated members → 429", async () => {
    const s = await startServer({ maxMembersPerRepo: 2 });
    try {
      const alice = Identity.random();
      const r = await newRepo(s.url, alice);
      const k = randomBytes(32);
      const roster = [memberEntry(alice, k, 1), memberEntry(Identity.random(), k, 1), memberEntry(Identity.random(), k, 1)];
      const p = await call(s.url, "POST", `${r.path}/push`, { repoId: r.repoId, envelope: envelope(k, r.repoId, 2, 1), expectedPayloadVersion: 1, rotatedMembers: roster }, r.token);
      assert.equal(p.status, 429);
      assert.equal(p.headers.get("retry-after"), "60");
    } finally {
      await s.close();
    }
  });

  it("concurrent pushes at the same version: exactly one is accepted", async () => {
    const r = await newRepo(u(), Identity.random());
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(u(), "POST", `${r.path}/push`, { repoId: r.repoId, envelope: envelope(r.dataKey, r.repoId, 2, 0), expectedPayloadVersion: 1 }, r.token),
      ),
    );
    assert.ok(results.every((x) => x.status === 200));
    assert.equal(results.filter((x) => x.body.accepted).length, 1);
    assert.equal(results.filter((x) => x.body.conflict).length, 19);
  });
});

describe("membership", () => {
  it("addMember: idempotent for the same keys, 409 for another X25519 key, 400 for a stale epoch", async () => {
    const r = await newRepo(u(), Identity.random());
    const bob = Identity.random();
    const add = (member: unknown) => call(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member }, r.token);
    const entry = memberEntry(bob, r.dataKey, 0);
    const first = await add(entry);
    assert.equal(first.status, 200);
    assert.equal(first.body.members.length, 2);
    assert.equal(first.body.payloadVersion, 1);
    const again = await add(memberEntry(bob, r.dataKey, 0));
    assert.equal(again.status, 200);
    assert.equal(again.body.members.length, 2);
    // Idempotence is decided before the epoch rule (as the Python server does).
    assert.equal((await add(memberEntry(bob, r.dataKey, 7))).status, 200);
    const swapped = await add({ ...entry, x25519PublicKey: Identity.random().x25519PublicB64 });
    assert.equal(swapped.status, 409);
    assert.equal(swapped.body.code, "duplicate_member");
    assert.equal((await add(memberEntry(Identity.random(), r.dataKey, 1))).status, 400);
    // The new member can log in and pull.
    const bobToken = await login(u(), bob);
    const pulled = await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, bobToken);
    assert.equal(pulled.status, 200);
    const mine = pulled.body.manifest.members.find((e: any) => e.ed25519PublicKey === bob.memberId);
    assert.deepEqual(unwrapDataKey(mine.wrappedDataKey, bob.x25519), r.dataKey);
  });

  it("addMember beyond maxMembersPerRepo → 429", async () => {
    const s = await startServer({ maxMembersPerRepo: 2 });
    try {
      const r = await newRepo(s.url, Identity.random());
      const add = () => call(s.url, "POST", `${r.path}/add-member`, { repoId: r.repoId, member: memberEntry(Identity.random(), r.dataKey, 0) }, r.token);
      assert.equal((await add()).status, 200);
      const full = await add();
      assert.equal(full.status, 429);
      assert.equal(full.body.code, "quota_exceeded");
    } finally {
      await s.close();
    }
  });

  it("removeMember: rotation, stale version → 409 version_conflict, every rule → 400, unknown → 404", async () => {
    const alice = Identity.random();
    const bob = Identity.random();
    const carol = Identity.random();
    const r = await newRepo(u(), alice);
    for (const m of [bob, carol]) await call(u(), "POST", `${r.path}/add-member`, { repoId: r.repoId, member: memberEntry(m, r.dataKey, 0) }, r.token);
    const k1 = randomBytes(32);
    const body = (o: Record<string, unknown> = {}) => ({
      repoId: r.repoId,
      removedMemberId: bob.memberId,
      rotatedEnvelope: envelope(k1, r.repoId, 2, 1),
      rewrappedMembers: [memberEntry(alice, k1, 1), memberEntry(carol, k1, 1)],
      newKeyEpoch: 1,
      ...o,
    });
    const rm = (b: unknown) => call(u(), "POST", `${r.path}/remove-member`, b, r.token);
    const nf = await rm(body({ removedMemberId: Identity.random().memberId }));
    assert.equal(nf.status, 404);
    assert.equal(nf.body.code, "not_found");
    const stale = await rm(body({ rotatedEnvelope: envelope(k1, r.repoId, 1, 1) }));
    assert.equal(stale.status, 409);
    assert.equal(stale.body.code, "version_conflict");
    const bad = [
      body({ rotatedEnvelope: envelope(k1, r.repoId, 3, 1) }),
      body({ newKeyEpoch: 0, rotatedEnvelope: envelope(k1, r.repoId, 2, 0), rewrappedMembers: [memberEntry(alice, k1, 0), memberEntry(carol, k1, 0)] }),
      body({ newKeyEpoch: 2 }),
      body({ rewrappedMembers: [memberEntry(alice, k1, 1)] }),
      body({ rewrappedMembers: [memberEntry(alice, k1, 1), memberEntry(carol, k1, 1), memberEntry(bob, k1, 1)] }),
      body({ rewrappedMembers: [memberEntry(alice, k1, 1), memberEntry(alice, k1, 1)] }),
      body({ rewrappedMembers: [memberEntry(alice, k1, 1), { ...memberEntry(carol, k1, 1), x25519PublicKey: Identity.random().x25519PublicB64 }] }),
      body({ rewrappedMembers: [memberEntry(alice, k1, 1), memberEntry(carol, k1, 2)] }),
      body({ rotatedEnvelope: envelope(k1, "elsewhere", 2, 1) }),
    ];
    for (const [i, b] of bad.entries()) {
      const x = await rm(b);
      assert.equal(x.status, 400, `case ${i}: ${JSON.stringify(x.body)}`);
    }
    const ok = await rm(body());
    assert.equal(ok.status, 200);
    assert.equal(ok.body.keyEpoch, 1);
    assert.equal(ok.body.payloadVersion, 2);
    assert.deepEqual(ok.body.members.map((e: any) => e.ed25519PublicKey), [alice.memberId, carol.memberId]);
    // Bob is out: 403 on pull; a removal computed before it is now stale.
    const bobToken = await login(u(), bob);
    assert.equal((await call(u(), "POST", `${r.path}/pull`, { repoId: r.repoId, knownPayloadVersion: 0 }, bobToken)).status, 403);
    assert.equal((await rm(body({ removedMemberId: carol.memberId }))).status, 409);
    // The last member cannot leave an empty roster; a member may remove itself otherwise.
    const solo = await newRepo(u(), Identity.random());
    const empty = await call(u(), "POST", `${solo.path}/remove-member`, {
      repoId: solo.repoId,
      removedMemberId: (await call(u(), "POST", `${solo.path}/pull`, { repoId: solo.repoId, knownPayloadVersion: 1 }, solo.token)).body.manifest.members[0].ed25519PublicKey,
      rotatedEnvelope: envelope(k1, solo.repoId, 2, 1),
      rewrappedMembers: [],
      newKeyEpoch: 1,
    }, solo.token);
    assert.equal(empty.status, 400);
    const carolToken = await login(u(), carol);
    const self = await call(u(), "POST", `${r.path}/remove-member`, {
      repoId: r.repoId,
      removedMemberId: carol.memberId,
      rotatedEnvelope: envelope(k1, r.repoId, 3, 2),
      rewrappedMembers: [memberEntry(alice, k1, 2)],
      newKeyEpoch: 2,
    }, carolToken);
    assert.equal(self.status, 200);
  });

  it("fetchMemberKey: percent-encoded ids, 404 for an unknown member, 400 for a malformed id", async () => {
    const alice = Identity.random();
    const r = await newRepo(u(), alice, "repo+with/odd=chars é");
    assert.equal(r.path, "/v1/repos/repo%2Bwith%2Fodd%3Dchars%20%C3%A9");
    const got = await call(u(), "GET", `${r.path}/member/${encodeURIComponent(alice.memberId)}`, undefined, r.token);
    assert.equal(got.status, 200);
    assert.equal(got.body.ed25519PublicKey, alice.memberId);
    const unknown = await call(u(), "GET", `${r.path}/member/${encodeURIComponent(Identity.random().memberId)}`, undefined, r.token);
    assert.equal(unknown.status, 404);
    for (const bad of ["not-base64", encodeURIComponent(encodeStd(Buffer.alloc(31))), "%ZZ", "%C3%28"]) {
      const x = await call(u(), "GET", `${r.path}/member/${bad}`, undefined, r.token);
      assert.equal(x.status, 400, bad);
    }
    // '+' is a literal plus, never a space.
    const plus = await call(u(), "POST", "/v1/repos/repo+with%2Fodd%3Dchars%20%C3%A9/pull", { repoId: r.repoId, knownPayloadVersion: 1 }, r.token);
    assert.equal(plus.status, 200);
    const space = await call(u(), "POST", "/v1/repos/repo%20with%2Fodd%3Dchars%20%C3%A9/pull", { repoId: "repo with/odd=chars é", knownPayloadVersion: 1 }, r.token);
    assert.equal(space.status, 404);
    assert.equal((await call(u(), "POST", "/v1/repos/%E0%A4%A/pull", { repoId: "x", knownPayloadVersion: 1 }, r.token)).status, 400);
  });
});

describe("key binding", () => {
  it("signs ed25519|x25519 with the JWKS key; a low-order X25519 key → 400", async () => {
    const id = Identity.random();
    const token = await login(u(), id);
    const r = await call(u(), "POST", "/v1/key-binding", { x25519PublicKey: id.x25519PublicB64 }, token);
    assert.equal(r.status, 200);
    assert.equal(r.body.ed25519PublicKey, id.memberId);
    assert.equal(r.body.issuerJwksUrl, `${u()}/.well-known/jwks.json`);
    const jwks = await call(u(), "GET", "/.well-known/jwks.json");
    assert.equal(r.body.kid, jwks.body.keys[0].kid);
    const issuerKey = Buffer.from(jwks.body.keys[0].x, "base64url");
    const msg = Buffer.from(`${id.memberId}|${id.x25519PublicB64}`, "utf8");
    assert.ok(verifyStrict(issuerKey, msg, Buffer.from(r.body.keyBindingSig, "base64")));
    for (const low of [Buffer.alloc(32), Buffer.from("0100000000000000000000000000000000000000000000000000000000000000", "hex"), Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex")]) {
      const x = await call(u(), "POST", "/v1/key-binding", { x25519PublicKey: encodeStd(low) }, token);
      assert.equal(x.status, 400);
    }
    assert.equal((await call(u(), "POST", "/v1/key-binding", { x25519PublicKey: id.x25519PublicB64 })).status, 401);
  });
});
