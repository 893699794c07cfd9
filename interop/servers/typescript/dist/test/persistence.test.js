"use strict";
// AVP_STATE_FILE: everything acknowledged survives a restart (new process state, same file),
// including the signing key (tokens stay valid) and manifests with unknown fields.
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const node_test_1 = require("node:test");
const identity_1 = require("../identity");
const store_1 = require("../store");
const tokens_1 = require("../tokens");
const helpers_1 = require("./helpers");
const dir = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), "avp-ts-state-"));
(0, node_test_1.after)(() => (0, node_fs_1.rmSync)(dir, { recursive: true, force: true }));
(0, node_test_1.describe)("durable state", () => {
    (0, node_test_1.it)("a restarted server has every acknowledged write and honours old tokens", async () => {
        const file = (0, node_path_1.join)(dir, "state.json");
        const alice = identity_1.Identity.random();
        const bob = identity_1.Identity.random();
        let s = await (0, helpers_1.startServer)({ stateFile: file }, await store_1.Store.open(file, tokens_1.Issuer.freshSeed()));
        const token = await (0, helpers_1.login)(s.url, alice);
        const c = (0, helpers_1.createBody)(alice, "persist/é+", { shareRefreshTokens: false, extra: { big: 1 } });
        const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token)).status, 200);
        node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", `${path}/add-member`, { repoId: c.repoId, member: (0, helpers_1.memberEntry)(bob, c.dataKey, 0) }, token)).status, 200);
        const before = await (0, helpers_1.call)(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
        const jwks = (await (0, helpers_1.call)(s.url, "GET", "/.well-known/jwks.json")).body;
        await s.close();
        s = await (0, helpers_1.startServer)({ stateFile: file }, await store_1.Store.open(file, tokens_1.Issuer.freshSeed()));
        try {
            node_assert_1.strict.deepEqual((await (0, helpers_1.call)(s.url, "GET", "/.well-known/jwks.json")).body, jwks);
            const after = await (0, helpers_1.call)(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
            node_assert_1.strict.equal(after.status, 200);
            node_assert_1.strict.deepEqual(after.body, before.body);
            node_assert_1.strict.equal(after.body.manifest.shareRefreshTokens, false);
            node_assert_1.strict.deepEqual(after.body.manifest.extra, { big: 1 });
            // The quota index is rebuilt too: bob's membership counts.
            node_assert_1.strict.equal(s.app.store.reposOf(bob.memberId), 1);
            const stale = await (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token);
            node_assert_1.strict.equal(stale.body.conflict, true);
        }
        finally {
            await s.close();
        }
        node_assert_1.strict.deepEqual((0, node_fs_1.readdirSync)(dir), ["state.json"]); // no temp file left behind
        node_assert_1.strict.equal((0, node_fs_1.readFileSync)(file, "utf8").includes(c.dataKey.toString("base64")), false);
    });
    (0, node_test_1.it)("concurrent pushes on a durable store: exactly one accepted, and it is on disk when answered", async () => {
        const file = (0, node_path_1.join)(dir, "race.json");
        const s = await (0, helpers_1.startServer)({ stateFile: file }, await store_1.Store.open(file, tokens_1.Issuer.freshSeed()));
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, alice);
            const c = (0, helpers_1.createBody)(alice);
            const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
            const results = await Promise.all(Array.from({ length: 12 }, (_, i) => (0, helpers_1.call)(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: (0, helpers_1.envelope)(c.dataKey, c.repoId, 2, 0, [i]), expectedPayloadVersion: 1 }, token)));
            const winners = results.filter((r) => r.body.accepted);
            node_assert_1.strict.equal(winners.length, 1);
            node_assert_1.strict.equal(results.filter((r) => r.body.conflict).length, 11);
            // What the file holds right now (no restart, no waiting) already has the accepted push.
            const onDisk = await store_1.Store.open(file, tokens_1.Issuer.freshSeed());
            node_assert_1.strict.equal(onDisk.get(c.repoId)?.manifest.payloadVersion, 2);
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("a request waits only for the writes it saw: another repository's pending write does not hold it", async () => {
        const file = (0, node_path_1.join)(dir, "observe.json");
        const store = await store_1.Store.open(file, tokens_1.Issuer.freshSeed());
        const c = (0, helpers_1.createBody)(identity_1.Identity.random(), "a");
        const d = (0, helpers_1.createBody)(identity_1.Identity.random(), "b");
        store.put("a", { manifest: c.body.manifest, envelope: c.body.initialEnvelope });
        await store.durable();
        store.put("b", { manifest: d.body.manifest, envelope: d.body.initialEnvelope }); // pending
        store.startObserving();
        store.get("a");
        node_assert_1.strict.equal(store.durable(store.observedGeneration()), null, "a's state is already durable");
        store.get("b");
        const wait = store.durable(store.observedGeneration());
        node_assert_1.strict.ok(wait !== null, "b's write is not on disk yet");
        await wait;
        node_assert_1.strict.equal(store.durable(store.observedGeneration()), null);
        node_assert_1.strict.equal((await store_1.Store.open(file, tokens_1.Issuer.freshSeed())).get("b")?.manifest.repoId, "b");
    });
    (0, node_test_1.it)("a failed write answers 500, reports the fatal error, and never a 200", async () => {
        const sub = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)(dir, "vanishing-"));
        const file = (0, node_path_1.join)(sub, "state.json");
        const fatal = [];
        const s = await (0, helpers_1.startServer)({ stateFile: file }, await store_1.Store.open(file, tokens_1.Issuer.freshSeed(), (e) => fatal.push(e)));
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, alice);
            (0, node_fs_1.rmSync)(sub, { recursive: true, force: true }); // the next write cannot create its temp file
            const r = await (0, helpers_1.call)(s.url, "POST", "/v1/repos", (0, helpers_1.createBody)(alice).body, token);
            node_assert_1.strict.equal(r.status, 500);
            node_assert_1.strict.equal(r.body.code, "server_error");
            node_assert_1.strict.equal(fatal.length, 1);
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("a rejected request does not touch the file", async () => {
        const file = (0, node_path_1.join)(dir, "rejected.json");
        const s = await (0, helpers_1.startServer)({ stateFile: file }, await store_1.Store.open(file, tokens_1.Issuer.freshSeed()));
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(s.url, alice);
            const c = (0, helpers_1.createBody)(alice);
            c.body.manifest.payloadVersion = 5;
            const snapshot = (0, node_fs_1.readFileSync)(file, "utf8");
            node_assert_1.strict.equal((await (0, helpers_1.call)(s.url, "POST", "/v1/repos", c.body, token)).status, 400);
            node_assert_1.strict.equal((0, node_fs_1.readFileSync)(file, "utf8"), snapshot);
        }
        finally {
            await s.close();
        }
    });
    (0, node_test_1.it)("a corrupt or foreign state file is refused with a clear error", async () => {
        const file = (0, node_path_1.join)(dir, "corrupt.json");
        (0, node_fs_1.writeFileSync)(file, '{"format":"something-else"}');
        await node_assert_1.strict.rejects(store_1.Store.open(file, tokens_1.Issuer.freshSeed()), store_1.StateFileError);
        (0, node_fs_1.writeFileSync)(file, "{not json");
        await node_assert_1.strict.rejects(store_1.Store.open(file, tokens_1.Issuer.freshSeed()), store_1.StateFileError);
    });
});
