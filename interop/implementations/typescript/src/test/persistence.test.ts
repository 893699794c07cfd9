// AVP_DB (SQLite): everything acknowledged survives a restart (new process state, same file),
// including the signing key (tokens stay valid), used login nonces and manifests with unknown
// fields; writes are committed before they are answered; the legacy state file is migrated.

import { strict as assert } from "node:assert";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import Database = require("better-sqlite3");
import { encodeStd } from "../b64";
import { ConfigError, configFromEnv, DEFAULTS } from "../config";
import { Identity } from "../identity";
import { SqliteBackend } from "../sqlitestore";
import { readStateFile, StateFileError } from "../statefile";
import { Store } from "../store";
import { Issuer } from "../tokens";
import { call, createBody, envelope, login, memberEntry, startServer } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "avp-ts-db-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const open = (file: string, onFatal?: (e: unknown) => void): Store => Store.durable(new SqliteBackend(file), onFatal);

/** What another connection (another process, after a crash) reads from the file right now. */
function onDisk(file: string, repoId: string): { payloadVersion: number } | undefined {
  const db = new Database(file, { readonly: true });
  try {
    const row = db.prepare("SELECT manifest FROM repos WHERE id = ?").get(repoId) as { manifest: string } | undefined;
    return row === undefined ? undefined : (JSON.parse(row.manifest) as { payloadVersion: number });
  } finally {
    db.close();
  }
}

describe("durable state (SQLite)", () => {
  it("a restarted server has every acknowledged write, honours old tokens and refuses a replayed login", async () => {
    const file = join(dir, "restart.sqlite3");
    const alice = Identity.random();
    const bob = Identity.random();
    let s = await startServer({ dbFile: file }, open(file));
    const ch = await call(s.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: alice.memberId });
    const loginBody = { ed25519PublicKey: alice.memberId, nonce: ch.body.nonce, signature: encodeStd(alice.sign(Buffer.from(ch.body.nonce, "base64"))) };
    const token = (await call(s.url, "POST", "/api/auth/keypair/token", loginBody)).body.token as string;
    const c = createBody(alice, "persist/é+", { shareRefreshTokens: false, extra: { big: 1 } });
    const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
    assert.equal((await call(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
    assert.equal((await call(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: envelope(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token)).status, 200);
    assert.equal((await call(s.url, "POST", `${path}/add-member`, { repoId: c.repoId, member: memberEntry(bob, c.dataKey, 0) }, token)).status, 200);
    const before = await call(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
    const jwks = (await call(s.url, "GET", "/.well-known/jwks.json")).body;
    await s.close();
    s.app.store.close();

    s = await startServer({ dbFile: file }, open(file));
    try {
      assert.deepEqual((await call(s.url, "GET", "/.well-known/jwks.json")).body, jwks);
      const after = await call(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
      assert.equal(after.status, 200);
      assert.deepEqual(after.body, before.body);
      assert.equal(after.body.manifest.shareRefreshTokens, false);
      assert.deepEqual(after.body.manifest.extra, { big: 1 });
      assert.equal(s.app.store.reposOf(bob.memberId), 1); // the quota index is rebuilt too
      assert.equal((await call(s.url, "POST", "/api/auth/keypair/token", loginBody)).status, 401, "a used nonce stays used");
      const stale = await call(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: envelope(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token);
      assert.equal(stale.body.conflict, true);
    } finally {
      await s.close();
      s.app.store.close();
    }
  });

  it("concurrent pushes: exactly one accepted, and it is in the file when answered", async () => {
    const file = join(dir, "race.sqlite3");
    const s = await startServer({ dbFile: file }, open(file));
    try {
      const alice = Identity.random();
      const token = await login(s.url, alice);
      const c = createBody(alice);
      const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
      assert.equal((await call(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          call(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: envelope(c.dataKey, c.repoId, 2, 0, [i]), expectedPayloadVersion: 1 }, token),
        ),
      );
      assert.equal(results.filter((r) => r.body.accepted).length, 1);
      assert.equal(results.filter((r) => r.body.conflict).length, 11);
      assert.equal(onDisk(file, c.repoId)?.payloadVersion, 2);
    } finally {
      await s.close();
      s.app.store.close();
    }
  });

  it("a request waits only for the writes it saw: another repository's pending write does not hold it", async () => {
    const store = open(join(dir, "observe.sqlite3"));
    const a = createBody(Identity.random(), "a");
    const b = createBody(Identity.random(), "b");
    store.put("a", { manifest: a.body.manifest as never, envelope: a.body.initialEnvelope as never }, DEFAULTS);
    await store.durable();
    store.put("b", { manifest: b.body.manifest as never, envelope: b.body.initialEnvelope as never }, DEFAULTS); // pending
    store.startObserving();
    store.get("a");
    assert.equal(store.durable(store.observedGeneration()), null, "a's state is already durable");
    store.get("b");
    const wait = store.durable(store.observedGeneration());
    assert.ok(wait !== null, "b's write is not committed yet");
    await wait;
    assert.equal(store.durable(store.observedGeneration()), null);
    store.close();
  });

  it("a failed commit answers 500 and reports the fatal error, never a 200", async () => {
    const file = join(dir, "failing.sqlite3");
    const backend = new SqliteBackend(file);
    const fatal: unknown[] = [];
    const s = await startServer({ dbFile: file }, Store.durable(backend, (e) => fatal.push(e)));
    try {
      const alice = Identity.random();
      const token = await login(s.url, alice);
      backend.commit = () => {
        throw new Error("disk I/O error");
      };
      const r = await call(s.url, "POST", "/v1/repos", createBody(alice).body, token);
      assert.equal(r.status, 500);
      assert.equal(r.body.code, "server_error");
      assert.equal(fatal.length, 1);
    } finally {
      await s.close();
    }
  });

  it("a rejected request writes nothing", async () => {
    const file = join(dir, "rejected.sqlite3");
    const s = await startServer({ dbFile: file }, open(file));
    try {
      const token = await login(s.url, Identity.random());
      const c = createBody(Identity.random());
      const wrongOwner = await call(s.url, "POST", "/v1/repos", c.body, token);
      assert.equal(wrongOwner.status, 403);
      assert.equal(onDisk(file, c.repoId), undefined);
    } finally {
      await s.close();
      s.app.store.close();
    }
  });

  it("the used-nonce sweep gives the space back to the file system", async () => {
    const file = join(dir, "sweep.sqlite3");
    const store = open(file);
    const now = Date.now();
    for (let i = 0; i < 20_000; i++) store.useNonce(Buffer.from(`${i}`.padStart(32, "0")), now + 1_000, now);
    store.close();
    const checkpointed = (): number => {
      const db = new Database(file);
      db.pragma("wal_checkpoint(TRUNCATE)");
      db.close();
      return statSync(file).size;
    };
    const full = checkpointed();
    const later = open(file);
    later.useNonce(Buffer.alloc(32, 1), now + 120_000, now + 2_000); // the first use after start sweeps
    later.close();
    const swept = checkpointed();
    assert.ok(swept < full / 4, `${full} -> ${swept} bytes`);
  });
});

describe("migration from the legacy state file", () => {
  it("a new database is seeded with the state file's key and repositories", async () => {
    const legacy = join(dir, "state.json");
    const seed = Issuer.freshSeed();
    const alice = Identity.random();
    const c = createBody(alice, "old-repo");
    writeFileSync(
      legacy,
      JSON.stringify({ format: "avp-ts-state/1", signingKeySeed: seed.toString("base64"), repos: { "old-repo": { manifest: c.body.manifest, envelope: c.body.initialEnvelope } } }),
    );
    const file = join(dir, "migrated.sqlite3");
    const s = await startServer({ dbFile: file }, Store.durable(new SqliteBackend(file, () => readStateFile(legacy))));
    try {
      assert.equal((await call(s.url, "GET", "/.well-known/jwks.json")).body.keys[0].kid, new Issuer(seed, 60).kid);
      const token = await login(s.url, alice);
      const pulled = await call(s.url, "POST", "/v1/repos/old-repo/pull", { repoId: "old-repo", knownPayloadVersion: 0 }, token);
      assert.deepEqual(pulled.body.envelope, c.body.initialEnvelope);
      assert.equal(s.app.store.reposOf(alice.memberId), 1);
    } finally {
      await s.close();
      s.app.store.close();
    }
    // Once the database exists the state file is not read again.
    writeFileSync(legacy, "{not json");
    new SqliteBackend(file, () => readStateFile(legacy)).close();
  });

  it("a corrupt or foreign state file is refused with a clear error; AVP_STATE_FILE alone is a config error", () => {
    const legacy = join(dir, "corrupt.json");
    writeFileSync(legacy, '{"format":"something-else"}');
    assert.throws(() => readStateFile(legacy), StateFileError);
    writeFileSync(legacy, "{not json");
    assert.throws(() => readStateFile(legacy), StateFileError);
    assert.throws(() => configFromEnv({ AVP_STATE_FILE: legacy }), ConfigError);
  });
});
