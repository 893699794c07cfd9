"use strict";
// AVP_DB (SQLite): everything acknowledged survives a restart (new process state, same file),
// including the signing key (tokens stay valid), used login nonces and manifests with unknown
// fields; writes are committed before they are answered; the legacy state file is migrated.
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const node_test_1 = require("node:test");
const Database = require("better-sqlite3");
const b64_1 = require("../b64");
const config_1 = require("../config");
const identity_1 = require("../identity");
const sqlitestore_1 = require("../sqlitestore");
const statefile_1 = require("../statefile");
const store_1 = require("../store");
const tokens_1 = require("../tokens");
const helpers_1 = require("./helpers");
const dir = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), "avp-ts-db-"));
(0, node_test_1.after)(() => (0, node_fs_1.rmSync)(dir, { recursive: true, force: true }));
const open = (file, onFatal) => store_1.Store.durable(new sqlitestore_1.SqliteBackend(file), onFatal);
/** What another connection (another process, after a crash) reads from the file right now. */
function onDisk(file, repoId) {
    const db = new Database(file, { readonly: true });
    try {
        const row = db.prepare("SELECT manifest FROM repos WHERE id = ?").get(repoId);
        return row === undefined ? undefined : JSON.parse(row.manifest);
    }
    finally {
        db.close();
    }
}
(0, node_test_1.describe)("durable state (SQLite)", () => {
    (0, node_test_1.it)("a restarted server has every acknowledged write, honours old tokens and refuses a replayed login", async () => {
        const file = (0, node_path_1.join)(dir, "restart.sqlite3");
        const alice = identity_1.Identity.random();
        const bob = identity_1.Identity.random();
        let s = await (0, helpers_1.startServer)({ dbFile: file }, open(file));
        const ch = await (0, helpers_1.call)(s.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: alice.memberId });
        const loginBody = { ed25519PublicKey: alice.memberId, nonce: ch.body.nonce, signature: (0, b64_1.encodeStd)(alice.sign(Buffer.from(ch.body.nonce, "base64"))) };
        const token = (await (0, helpers_1.call)(s.url, "POST", "/api/auth/keypair/token", loginBody)).body.token;
        const c = (0, helpers_1.createBody)(alice, "persist/é+", { shareRefreshTokens: false, extra: { big: 1 } });
        const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token)).status, 200);
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", `${path}/add-member`, { repoId: c.repoId, member: (0, helpers_1.memberEntry)(bob, c.dataKey, 0) }, token)).status, 200);
        const before = await (0, helpers_1.call)(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
        const jwks = (await (0, helpers_1.call)(s.url, "GET", "/.well-known/jwks.json")).body;
        await s.close();
        s.app.store.close();
        s = await (0, helpers_1.startServer)({ dbFile: file }, open(file));
        try {
            node_assert_1.strict.deepEqual((await (0, helpers_1.call)(s.url, "GET", "/.well-known/jwks.json")).body, jwks);
            const after = await (0, helpers_1.call)(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
            node_assert_1.strict.equal(after.status, 200);
            node_assert_1.strict.deepEqual(after.body, before.body);
            node_assert_1.strict.equal(after.body.manifest.shareRefreshTokens, false);
            node_assert_1.strict.deepEqual(after.body.manifest.extra, { big: 1 });
            node_assert_1.strict.equal(s.app.store.reposOf(bob.memberId), 1); // the quota index is rebuilt too
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/api/auth/keypair/token", loginBody)).status, 401, "a used nonce stays used");
            const stale = await (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token);
            node_assert_1.strict.equal(stale.body.conflict, true);
        }
        finally {
            await s.close();
            s.app.store.close();
        }
    });
    (0, node_test_1.it)("concurrent pushes: exactly one accepted, and it is in the file when answered", async () => {
        const file = (0, node_path_1.join)(dir, "race.sqlite3");
        const s = await (0, helpers_1.startServer)({ dbFile: file }, open(file));
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, alice);
            const c = (0, helpers_1.createBody)(alice);
            const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
            const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0, [i]), expectedPayloadVersion: 1 }, token)));
            node_assert_1.strict.equal(results.filter((r) => r.body.accepted).length, 1);
            node_assert_1.strict.equal(results.filter((r) => r.body.conflict).length, 11);
            node_assert_1.strict.equal(onDisk(file, c.repoId)?.payloadVersion, 2);
        }
        finally {
            await s.close();
            s.app.store.close();
        }
    });
    (0, node_test_1.it)("a request waits only for the writes it saw: another repository's pending write does not hold it", async () => {
        const store = open((0, node_path_1.join)(dir, "observe.sqlite3"));
        const a = (0, helpers_1.createBody)(identity_1.Identity.random(), "a");
        const b = (0, helpers_1.createBody)(identity_1.Identity.random(), "b");
        store.put("a", { manifest: a.body.manifest, envelope: a.body.initialEnvelope }, config_1.DEFAULTS);
        await store.durable();
        store.put("b", { manifest: b.body.manifest, envelope: b.body.initialEnvelope }, config_1.DEFAULTS); // pending
        store.startObserving();
        store.get("a");
        node_assert_1.strict.equal(store.durable(store.observedGeneration()), null, "a's state is already durable");
        store.get("b");
        const wait = store.durable(store.observedGeneration());
        node_assert_1.strict.ok(wait !== null, "b's write is not committed yet");
        await wait;
        node_assert_1.strict.equal(store.durable(store.observedGeneration()), null);
        store.close();
    });
    (0, node_test_1.it)("a failed commit answers 500 and reports the fatal error, never a 200", async () => {
        const file = (0, node_path_1.join)(dir, "failing.sqlite3");
        const backend = new sqlitestore_1.SqliteBackend(file);
        const fatal = [];
        const s = await (0, helpers_1.startServer)({ dbFile: file }, store_1.Store.durable(backend, (e) => fatal.push(e)));
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, alice);
            backend.commit = () => {
                throw new Error("disk I/O error");
            };
            const r = await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(alice).body, token);
            node_assert_1.strict.equal(r.status, 500);
            node_assert_1.strict.equal(r.body.code, "server_error");
            node_assert_1.strict.equal(fatal.length, 1);
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("a rejected request writes nothing", async () => {
        const file = (0, node_path_1.join)(dir, "rejected.sqlite3");
        const s = await (0, helpers_1.startServer)({ dbFile: file }, open(file));
        try {
            const token = await (0, helpers_1.login)(s.url, identity_1.Identity.random());
            const c = (0, helpers_1.createBody)(identity_1.Identity.random());
            const wrongOwner = await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token);
            node_assert_1.strict.equal(wrongOwner.status, 403);
            node_assert_1.strict.equal(onDisk(file, c.repoId), undefined);
        }
        finally {
            await s.close();
            s.app.store.close();
        }
    });
    (0, node_test_1.it)("the used-nonce sweep gives the space back to the file system", async () => {
        const file = (0, node_path_1.join)(dir, "sweep.sqlite3");
        const store = open(file);
        const now = Date.now();
        for (let i = 0; i < 20_000; i++)
            store.useNonce(Buffer.from(`${i}`.padStart(32, "0")), now + 1_000, now);
        store.close();
        const checkpointed = () => {
            const db = new Database(file);
            db.pragma("wal_checkpoint(TRUNCATE)");
            db.close();
            return (0, node_fs_1.statSync)(file).size;
        };
        const full = checkpointed();
        const later = open(file);
        later.useNonce(Buffer.alloc(32, 1), now + 120_000, now + 2_000); // the first use after start sweeps
        later.close();
        const swept = checkpointed();
        node_assert_1.strict.ok(swept < full / 4, `${full} -> ${swept} bytes`);
    });
});
(0, node_test_1.describe)("migration from the legacy state file", () => {
    (0, node_test_1.it)("a new database is seeded with the state file's key and repositories", async () => {
        const legacy = (0, node_path_1.join)(dir, "state.json");
        const seed = tokens_1.Issuer.freshSeed();
        const alice = identity_1.Identity.random();
        const c = (0, helpers_1.createBody)(alice, "old-repo");
        (0, node_fs_1.writeFileSync)(legacy, JSON.stringify({ format: "avp-ts-state/1", signingKeySeed: seed.toString("base64"), repos: { "old-repo": { manifest: c.body.manifest, envelope: c.body.initialEnvelope } } }));
        const file = (0, node_path_1.join)(dir, "migrated.sqlite3");
        const s = await (0, helpers_1.startServer)({ dbFile: file }, store_1.Store.durable(new sqlitestore_1.SqliteBackend(file, () => (0, statefile_1.readStateFile)(legacy))));
        try {
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "GET", "/.well-known/jwks.json")).body.keys[0].kid, new tokens_1.Issuer(seed, 60).kid);
            const token = await (0, helpers_1.login)(s.url, alice);
            const pulled = await (0, helpers_1.call)(s.url, "POST", "/v1/repos/old-repo/pull", { repoId: "old-repo", knownPayloadVersion: 0 }, token);
            node_assert_1.strict.deepEqual(pulled.body.envelope, c.body.initialEnvelope);
            node_assert_1.strict.equal(s.app.store.reposOf(alice.memberId), 1);
        }
        finally {
            await s.close();
            s.app.store.close();
        }
        // Once the database exists the state file is not read again.
        (0, node_fs_1.writeFileSync)(legacy, "{not json");
        new sqlitestore_1.SqliteBackend(file, () => (0, statefile_1.readStateFile)(legacy)).close();
    });
    (0, node_test_1.it)("a corrupt or foreign state file is refused with a clear error; AVP_STATE_FILE alone is a config error", () => {
        const legacy = (0, node_path_1.join)(dir, "corrupt.json");
        (0, node_fs_1.writeFileSync)(legacy, '{"format":"something-else"}');
        node_assert_1.strict.throws(() => (0, statefile_1.readStateFile)(legacy), statefile_1.StateFileError);
        (0, node_fs_1.writeFileSync)(legacy, "{not json");
        node_assert_1.strict.throws(() => (0, statefile_1.readStateFile)(legacy), statefile_1.StateFileError);
        node_assert_1.strict.throws(() => (0, config_1.configFromEnv)({ AVP_STATE_FILE: legacy }), config_1.ConfigError);
    });
});
