// AVP_STATE_FILE: everything acknowledged survives a restart (new process state, same file),
// including the signing key (tokens stay valid) and manifests with unknown fields.

import { strict as assert } from "node:assert";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Identity } from "../identity";
import { StateFileError, Store } from "../store";
import { Issuer } from "../tokens";
import { call, createBody, envelope, login, memberEntry, startServer } from "./helpers";

const dir = mkdtempSync(join(tmpdir(), "avp-ts-state-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("durable state", () => {
  it("a restarted server has every acknowledged write and honours old tokens", async () => {
    const file = join(dir, "state.json");
    const alice = Identity.random();
    const bob = Identity.random();
    let s = await startServer({ stateFile: file }, await Store.open(file, Issuer.freshSeed()));
    const token = await login(s.url, alice);
    const c = createBody(alice, "persist/é+", { shareRefreshTokens: false, extra: { big: 1 } });
    const path = `/v1/repos/${encodeURIComponent(c.repoId)}`;
    assert.equal((await call(s.url, "POST", "/v1/repos", c.body, token)).status, 200);
    assert.equal((await call(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: envelope(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token)).status, 200);
    assert.equal((await call(s.url, "POST", `${path}/add-member`, { repoId: c.repoId, member: memberEntry(bob, c.dataKey, 0) }, token)).status, 200);
    const before = await call(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
    const jwks = (await call(s.url, "GET", "/.well-known/jwks.json")).body;
    await s.close();

    s = await startServer({ stateFile: file }, await Store.open(file, Issuer.freshSeed()));
    try {
      assert.deepEqual((await call(s.url, "GET", "/.well-known/jwks.json")).body, jwks);
      const after = await call(s.url, "POST", `${path}/pull`, { repoId: c.repoId, knownPayloadVersion: 0 }, token);
      assert.equal(after.status, 200);
      assert.deepEqual(after.body, before.body);
      assert.equal(after.body.manifest.shareRefreshTokens, false);
      assert.deepEqual(after.body.manifest.extra, { big: 1 });
      // The quota index is rebuilt too: bob's membership counts.
      assert.equal(s.app.store.reposOf(bob.memberId), 1);
      const stale = await call(s.url, "POST", `${path}/push`, { repoId: c.repoId, envelope: envelope(c.dataKey, c.repoId, 2, 0), expectedPayloadVersion: 1 }, token);
      assert.equal(stale.body.conflict, true);
    } finally {
      await s.close();
    }
    assert.deepEqual(readdirSync(dir), ["state.json"]); // no temp file left behind
    assert.equal(readFileSync(file, "utf8").includes(c.dataKey.toString("base64")), false);
  });

  it("concurrent pushes on a durable store: exactly one accepted, and it is on disk when answered", async () => {
    const file = join(dir, "race.json");
    const s = await startServer({ stateFile: file }, await Store.open(file, Issuer.freshSeed()));
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
      const winners = results.filter((r) => r.body.accepted);
      assert.equal(winners.length, 1);
      assert.equal(results.filter((r) => r.body.conflict).length, 11);
      // What the file holds right now (no restart, no waiting) already has the accepted push.
      const onDisk = await Store.open(file, Issuer.freshSeed());
      assert.equal(onDisk.get(c.repoId)?.manifest.payloadVersion, 2);
    } finally {
      await s.close();
    }
  });

  it("a request waits only for the writes it saw: another repository's pending write does not hold it", async () => {
    const file = join(dir, "observe.json");
    const store = await Store.open(file, Issuer.freshSeed());
    const c = createBody(Identity.random(), "a");
    const d = createBody(Identity.random(), "b");
    store.put("a", { manifest: c.body.manifest as never, envelope: c.body.initialEnvelope as never });
    await store.durable();
    store.put("b", { manifest: d.body.manifest as never, envelope: d.body.initialEnvelope as never }); // pending
    store.startObserving();
    store.get("a");
    assert.equal(store.durable(store.observedGeneration()), null, "a's state is already durable");
    store.get("b");
    const wait = store.durable(store.observedGeneration());
    assert.ok(wait !== null, "b's write is not on disk yet");
    await wait;
    assert.equal(store.durable(store.observedGeneration()), null);
    assert.equal((await Store.open(file, Issuer.freshSeed())).get("b")?.manifest.repoId, "b");
  });

  it("a failed write answers 500, reports the fatal error, and never a 200", async () => {
    const sub = mkdtempSync(join(dir, "vanishing-"));
    const file = join(sub, "state.json");
    const fatal: unknown[] = [];
    const s = await startServer({ stateFile: file }, await Store.open(file, Issuer.freshSeed(), (e) => fatal.push(e)));
    try {
      const alice = Identity.random();
      const token = await login(s.url, alice);
      rmSync(sub, { recursive: true, force: true }); // the next write cannot create its temp file
      const r = await call(s.url, "POST", "/v1/repos", createBody(alice).body, token);
      assert.equal(r.status, 500);
      assert.equal(r.body.code, "server_error");
      assert.equal(fatal.length, 1);
    } finally {
      await s.close();
    }
  });

  it("a rejected request does not touch the file", async () => {
    const file = join(dir, "rejected.json");
    const s = await startServer({ stateFile: file }, await Store.open(file, Issuer.freshSeed()));
    try {
      const alice = Identity.random();
      const token = await login(s.url, alice);
      const c = createBody(alice);
      c.body.manifest.payloadVersion = 5;
      const snapshot = readFileSync(file, "utf8");
      assert.equal((await call(s.url, "POST", "/v1/repos", c.body, token)).status, 400);
      assert.equal(readFileSync(file, "utf8"), snapshot);
    } finally {
      await s.close();
    }
  });

  it("a corrupt or foreign state file is refused with a clear error", async () => {
    const file = join(dir, "corrupt.json");
    writeFileSync(file, '{"format":"something-else"}');
    await assert.rejects(Store.open(file, Issuer.freshSeed()), StateFileError);
    writeFileSync(file, "{not json");
    await assert.rejects(Store.open(file, Issuer.freshSeed()), StateFileError);
  });
});
