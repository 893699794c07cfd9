// The client actor as the interop runner drives it: separate processes talking JSON lines to a
// real server, with real crypto end to end.

import { strict as assert } from "node:assert";
import { ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, describe, it } from "node:test";
import { Running, sharedFile, startServer } from "./helpers";

const ACTOR = join(__dirname, "..", "actor.js");

class Actor {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly waiting = new Map<number, (r: any) => void>();
  private next = 1;

  constructor() {
    this.proc = spawn(process.execPath, [ACTOR], { stdio: ["pipe", "pipe", "pipe"] });
    createInterface({ input: this.proc.stdout }).on("line", (line) => {
      const r = JSON.parse(line);
      this.waiting.get(r.id)?.(r);
      this.waiting.delete(r.id);
    });
    this.proc.stderr.resume();
  }

  send(op: string, args: Record<string, unknown> = {}): Promise<any> {
    const id = this.next++;
    return new Promise((ok) => {
      this.waiting.set(id, ok);
      this.proc.stdin.write(`${JSON.stringify({ id, op, args })}\n`);
    });
  }

  /** The result of a successful op (fails the test with the error otherwise). */
  async ok(op: string, args: Record<string, unknown> = {}): Promise<any> {
    const r = await this.send(op, args);
    assert.equal(r.ok, true, `${op}: ${JSON.stringify(r.error)}`);
    return r.result;
  }

  async err(op: string, args: Record<string, unknown> = {}): Promise<{ code: string; status: number | null }> {
    const r = await this.send(op, args);
    assert.equal(r.ok, false, `${op} unexpectedly succeeded`);
    return r.error;
  }

  async stop(): Promise<number | null> {
    const exited = new Promise<number | null>((ok) => this.proc.on("exit", (code) => ok(code)));
    await this.send("shutdown");
    return exited;
  }
}

const alt = (n: number, extra: Record<string, unknown> = {}) => ({
  uuid: `00000000-0000-0000-0000-00000000000${n}`,
  username: `player${n}`,
  accessToken: `access-${n}`,
  type: "MICROSOFT",
  lastUsed: 1700000000000 + n,
  ...extra,
});

let srv: Running;
let alice: Actor;
let bob: Actor;
before(async () => {
  srv = await startServer();
  alice = new Actor();
  bob = new Actor();
});
after(async () => {
  assert.equal(await alice.stop(), 0);
  assert.equal(await bob.stop(), 0);
  await srv.close();
});

describe("actor", () => {
  it("hello lists the ops; an unknown op is unsupported", async () => {
    const h = await alice.ok("hello");
    assert.equal(h.language, "typescript");
    for (const op of ["identity", "create_repo", "pull", "push", "update", "add_member", "remove_member", "open_envelope", "verify_vectors"]) {
      assert.ok(h.ops.includes(op), op);
    }
    assert.equal((await alice.err("teleport")).code, "unsupported");
  });

  it("share, update, conflict, rotate on removal: a removed member cannot read the new epoch", async () => {
    const a = await alice.ok("identity");
    const b = await bob.ok("identity");
    await alice.ok("authenticate", { server: srv.url });
    const created = await alice.ok("create_repo", { server: srv.url, repoId: "team/vault+1", alts: [alt(1, { refreshToken: "r1", expiresAt: 5 })] });
    assert.equal(created.address, `avp://${new URL(srv.url).host}/team/vault+1`);
    assert.deepEqual([created.payloadVersion, created.keyEpoch], [1, 0]);
    assert.deepEqual((await alice.ok("add_member", { server: srv.url, repoId: "team/vault+1", inviteToken: b.inviteToken })).members, [a.ed25519PublicKey, b.ed25519PublicKey]);

    const seen = await bob.ok("pull", { server: srv.url, repoId: "team/vault+1" });
    assert.deepEqual(seen.alts, [alt(1)]); // policy off: refreshToken/expiresAt never shared
    assert.equal(seen.shareRefreshTokens, null);
    assert.equal((await bob.ok("pull", { server: srv.url, repoId: "team/vault+1" })).unchanged, true);

    const upd = await bob.ok("update", { server: srv.url, repoId: "team/vault+1", addAlts: [alt(2)] });
    assert.deepEqual([upd.payloadVersion, upd.attempts], [2, 1]);
    // Alice last saw version 1: her single push attempt conflicts.
    const stale = await alice.ok("push", { server: srv.url, repoId: "team/vault+1", alts: [] });
    assert.deepEqual(stale, { accepted: false, conflict: true, payloadVersion: 2, keyEpoch: 0 });
    assert.deepEqual((await alice.ok("pull", { server: srv.url, repoId: "team/vault+1" })).alts, [alt(1), alt(2)]);

    const rm = await alice.ok("remove_member", { server: srv.url, repoId: "team/vault+1", memberId: b.ed25519PublicKey });
    assert.deepEqual(rm, { payloadVersion: 3, keyEpoch: 1, members: [a.ed25519PublicKey] });
    const denied = await bob.err("pull", { server: srv.url, repoId: "team/vault+1" });
    assert.deepEqual([denied.code, denied.status], ["forbidden", 403]);

    // Bob is handed the new envelope (read from the server's store): no key he held opens it.
    const after = await alice.ok("pull", { server: srv.url, repoId: "team/vault+1" });
    assert.deepEqual(after.alts, [alt(1), alt(2)]);
    const envelope = srv.app.store.get("team/vault+1")?.envelope;
    assert.ok(envelope);
    assert.equal((await bob.err("open_envelope", { repoId: "team/vault+1", envelope })).code, "invalid_tag");
    assert.deepEqual((await alice.ok("open_envelope", { repoId: "team/vault+1", envelope })).alts, [alt(1), alt(2)]);
  });

  it("shareRefreshTokens: true keeps refresh tokens; the flag comes back in pull", async () => {
    const b = await bob.ok("identity");
    await alice.ok("identity");
    await alice.ok("create_repo", { server: srv.url, repoId: "share", alts: [alt(3, { refreshToken: "r3", expiresAt: 9 })], shareRefreshTokens: true });
    await alice.ok("add_member", { server: srv.url, repoId: "share", inviteToken: b.inviteToken });
    const p = await bob.ok("pull", { server: srv.url, repoId: "share" });
    assert.equal(p.shareRefreshTokens, true);
    assert.deepEqual(p.alts, [alt(3, { refreshToken: "r3", expiresAt: 9 })]);
  });

  it("key bindings: requireBinding refuses an unbound joiner and accepts a server-bound one", async () => {
    const b = await bob.ok("identity");
    await alice.ok("identity");
    await alice.ok("create_repo", { server: srv.url, repoId: "bound", alts: [] });
    const refused = await alice.err("add_member", { server: srv.url, repoId: "bound", inviteToken: b.inviteToken, requireBinding: true });
    assert.equal(refused.code, "binding_invalid");
    const kb = await bob.ok("key_binding", { server: srv.url });
    assert.equal(kb.issuerJwksUrl, `${srv.url}/.well-known/jwks.json`);
    const forged = { server: srv.url, repoId: "bound", inviteToken: b.inviteToken, requireBinding: true, keyBindingSig: Buffer.alloc(64, 1).toString("base64") };
    assert.equal((await alice.err("add_member", forged)).code, "binding_invalid");
    await alice.ok("add_member", { ...forged, keyBindingSig: kb.keyBindingSig });
    const entry = await alice.ok("fetch_member", { server: srv.url, repoId: "bound", memberId: b.ed25519PublicKey, requireBinding: true });
    assert.equal(entry.keyBindingSig, kb.keyBindingSig);
  });

  it("locator → join, and server errors keep their code and status", async () => {
    const b = await bob.ok("identity");
    await alice.ok("identity");
    await alice.ok("create_repo", { server: srv.url, repoId: "joinable", alts: [alt(4)] });
    await alice.ok("add_member", { server: srv.url, repoId: "joinable", inviteToken: b.inviteToken });
    const loc = await alice.ok("locator", { server: srv.url, repoId: "joinable" });
    const joined = await bob.ok("join", { locatorToken: loc.token });
    assert.equal(joined.server, srv.url);
    assert.deepEqual(joined.alts, [alt(4)]);
    const dup = await alice.err("create_repo", { server: srv.url, repoId: "joinable", alts: [] });
    assert.deepEqual([dup.code, dup.status], ["duplicate_repo", 409]);
    const gone = await bob.err("pull", { server: "http://127.0.0.1:1", repoId: "x" });
    assert.equal(gone.code, "transport_error");
  });

  it("a cached token the server refuses (expired early) triggers one new login", async () => {
    let skew = 0;
    const s = await startServer({}, undefined, () => Date.now() + skew);
    try {
      await alice.ok("identity");
      await alice.ok("create_repo", { server: s.url, repoId: "reauth", alts: [alt(5)] });
      skew = 3_601_000; // the server's clock jumps past the token's exp; the actor's does not
      assert.deepEqual((await alice.ok("pull", { server: s.url, repoId: "reauth" })).alts, [alt(5)]);
    } finally {
      await s.close();
    }
  });

  const vectors = sharedFile("avp-spec-vectors/index.json");
  it("verify_vectors checks every published case with the actor's own crypto", { skip: vectors.skip }, async () => {
    const r = await alice.ok("verify_vectors", { dir: join(vectors.path as string, "..") });
    for (const [file, f] of Object.entries(r.files) as Array<[string, any]>) {
      assert.equal(f.failed, 0, `${file}: ${f.failures.join("; ")}`);
      assert.ok(f.checked > 0, file);
    }
  });
});
