// Hostile traffic from someone with no account (issue 11): oversized and too many headers, slow and
// idle connections, connection floods, challenge floods, login floods, storage floods. Every loop
// is bounded and every timeout short (configured per server), all on 127.0.0.1.

import { strict as assert } from "node:assert";
import { randomBytes } from "node:crypto";
import { connect, Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeStd } from "../b64";
import { Identity } from "../identity";
import { call, createBody, envelope, login, memberEntry, newRepo, Running, startServer } from "./helpers";

/** A raw connection that collects what the server sends and notes when the server closes it. */
class Raw {
  readonly sock: Socket;
  text = "";
  closedAtMs: number | null = null;
  readonly opened: Promise<void>;
  private readonly startMs = Date.now();

  constructor(url: string) {
    this.sock = connect(Number(new URL(url).port), "127.0.0.1");
    this.sock.on("data", (d: Buffer) => (this.text += d.toString("latin1")));
    this.sock.on("error", () => undefined);
    this.sock.on("close", () => (this.closedAtMs = Date.now() - this.startMs));
    this.opened = new Promise((ok) => this.sock.once("connect", () => ok()));
  }

  /** Resolve once the server closed the connection, or after `ms` (then: still open). */
  closed(ms: number): Promise<boolean> {
    if (this.closedAtMs !== null) return Promise.resolve(true);
    return new Promise((ok) => {
      const t = setTimeout(() => ok(false), ms);
      this.sock.once("close", () => {
        clearTimeout(t);
        ok(true);
      });
    });
  }

  status(): number | null {
    const m = /^HTTP\/1\.1 (\d{3}) /.exec(this.text);
    return m === null ? null : Number(m[1]);
  }

  /** The JSON body of the (single) response received. */
  json(): any {
    return JSON.parse(this.text.slice(this.text.indexOf("\r\n\r\n") + 4));
  }
}

const DISCOVERY = "GET /.well-known/avp HTTP/1.1\r\nHost: x\r\n";

describe("headers", () => {
  let srv: Running;
  before(async () => (srv = await startServer()));
  after(() => srv.close());

  it("a header block over 16 KiB → 431 with the contract's JSON body", async () => {
    const raw = new Raw(srv.url);
    await raw.opened;
    raw.sock.write(`${DISCOVERY}X-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`);
    assert.equal(await raw.closed(5000), true);
    assert.equal(raw.status(), 431);
    assert.match(raw.text, /Content-Type: application\/json/i);
    assert.deepEqual(raw.json().code, "headers_too_large");
  });

  it("more than 100 header fields → 431 JSON; exactly 100 is fine", async () => {
    const many = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join("");
    const raw = new Raw(srv.url);
    await raw.opened;
    raw.sock.write(`${DISCOVERY}${many(100)}\r\n`); // + Host = 101 fields
    assert.equal(await raw.closed(5000), true);
    assert.equal(raw.status(), 431);
    assert.equal(raw.json().code, "headers_too_large");
    const ok = new Raw(srv.url);
    await ok.opened;
    ok.sock.write(`${DISCOVERY}${many(98)}Connection: close\r\n\r\n`); // Host + 98 + Connection = 100 fields
    await ok.closed(5000);
    assert.equal(ok.status(), 200);
  });

  it("a request the parser refuses (two Content-Lengths, bad bytes) → 400 with a JSON body", async () => {
    for (const bad of [
      "POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
      "GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    ]) {
      const raw = new Raw(srv.url);
      await raw.opened;
      raw.sock.write(Buffer.from(bad, "latin1"));
      assert.equal(await raw.closed(5000), true, JSON.stringify(bad));
      assert.equal(raw.status(), 400, JSON.stringify(bad));
      assert.equal(raw.json().code, "bad_request");
    }
  });
});

describe("slow and idle connections", () => {
  let srv: Running;
  before(async () => (srv = await startServer({ headerTimeoutSeconds: 1, idleTimeoutSeconds: 1, bodyMinBytesPerSecond: 1024 })));
  after(() => srv.close());

  it("headers that trickle in past the header timeout → 408 JSON and closed", async () => {
    const raw = new Raw(srv.url);
    await raw.opened;
    raw.sock.write("GET /.well-known/avp HTTP/1.1\r\n");
    const drip = setInterval(() => raw.sock.writable && raw.sock.write("X-Slow: 1\r\n"), 200);
    try {
      assert.equal(await raw.closed(6000), true);
    } finally {
      clearInterval(drip);
    }
    assert.equal(raw.status(), 408);
    assert.equal(raw.json().code, "request_timeout");
  });

  it("a body slower than its size allows → 408 JSON, and the connection is closed", async () => {
    const raw = new Raw(srv.url);
    await raw.opened;
    // 4 KiB at >= 1 KiB/s after a 1 s allowance: 5 s; it sends 1 byte and stops.
    raw.sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n{");
    assert.equal(await raw.closed(9000), true);
    assert.equal(raw.status(), 408);
    assert.equal(raw.json().code, "request_timeout");
  });

  it("a connection that never sends anything, and an idle keep-alive one, are closed within seconds", async () => {
    const silent = new Raw(srv.url);
    const idle = new Raw(srv.url);
    await Promise.all([silent.opened, idle.opened]);
    idle.sock.write(`${DISCOVERY}\r\n`);
    assert.equal(await idle.closed(5000), true);
    assert.equal(idle.status(), 200);
    assert.equal(await silent.closed(5000), true);
  });
});

describe("connection cap", () => {
  let srv: Running;
  before(async () => (srv = await startServer({ maxConnections: 8 })));
  after(() => srv.close());

  it("beyond the cap a new connection gets 503 overloaded and is closed; an established client keeps working", async () => {
    const agent = new Raw(srv.url); // the established client, first in
    await agent.opened;
    const hogs = Array.from({ length: 7 }, () => new Raw(srv.url));
    await Promise.all(hogs.map((h) => h.opened));
    const late = new Raw(srv.url);
    await late.opened;
    assert.equal(await late.closed(3000), true, "a connection past the cap is refused");
    assert.equal(late.status(), 503);
    assert.equal(late.json().code, "overloaded");
    agent.sock.write(`${DISCOVERY}\r\n`);
    await new Promise((ok) => setTimeout(ok, 300));
    assert.equal(agent.status(), 200);
    for (const h of [agent, ...hogs]) h.sock.destroy();
  });
});

describe("login routes", () => {
  let srv: Running;
  before(async () => (srv = await startServer({ loginBurst: 5, loginPerMinute: 60 })));
  after(() => srv.close());

  it("a challenge stores nothing: 2,000 challenges leave the store as it was", async () => {
    const flood = await startServer();
    try {
      const key = { ed25519PublicKey: encodeStd(randomBytes(32)) };
      for (let i = 0; i < 2000; i++) assert.equal((await call(flood.url, "POST", "/api/auth/keypair/challenge", key)).status, 200);
      assert.equal((flood.app.store as unknown as { usedNonces: Map<string, number> }).usedNonces.size, 0);
      // A successful login records its nonce, and only then; a replay of it is 401.
      const id = Identity.random();
      const ch = await call(flood.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
      const body = { ed25519PublicKey: id.memberId, nonce: ch.body.nonce, signature: encodeStd(id.sign(Buffer.from(ch.body.nonce, "base64"))) };
      assert.equal((await call(flood.url, "POST", "/api/auth/keypair/token", body)).status, 200);
      assert.equal((flood.app.store as unknown as { usedNonces: Map<string, number> }).usedNonces.size, 1);
      assert.equal((await call(flood.url, "POST", "/api/auth/keypair/token", body)).status, 401);
    } finally {
      await flood.close();
    }
  });

  it("a tampered nonce (issue time moved, other key) → 401", async () => {
    const id = Identity.random();
    const ch = await call(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
    const nonce = Buffer.from(ch.body.nonce, "base64");
    nonce.writeBigUInt64BE(nonce.readBigUInt64BE(1) + 60_000n, 1);
    const r = await call(srv.url, "POST", "/api/auth/keypair/token", { ed25519PublicKey: id.memberId, nonce: encodeStd(nonce), signature: encodeStd(id.sign(nonce)) });
    assert.equal(r.status, 401);
  });

  it("the login routes share a per-address token bucket → 429 rate_limited with Retry-After", async () => {
    const key = { ed25519PublicKey: encodeStd(randomBytes(32)) };
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 8; i++) {
      const r = await call(srv.url, "POST", i % 2 === 0 ? "/api/auth/keypair/challenge" : "/api/auth/keypair/token", i % 2 === 0 ? key : {});
      statuses.push(r.status);
      if (r.status === 429) limited = r;
    }
    assert.equal(statuses.filter((s) => s === 429).length >= 2, true, statuses.join(","));
    assert.equal(limited?.body.code, "rate_limited");
    assert.ok(Number(limited?.headers.get("retry-after")) >= 1);
    // Other routes are not limited.
    assert.equal((await call(srv.url, "GET", "/.well-known/avp")).status, 200);
  });
});

describe("bounded storage", () => {
  it("global repository, member and byte bounds → 507 storage_full, nothing written", async () => {
    const srv = await startServer({ maxRepos: 2, maxMemberEntries: 3, maxStoredBytes: 1_000_000 });
    try {
      const alice = Identity.random();
      const a = await newRepo(srv.url, alice);
      await newRepo(srv.url, Identity.random());
      const third = await call(srv.url, "POST", "/v1/repos", createBody(alice).body, a.token);
      assert.equal(third.status, 507);
      assert.equal(third.body.code, "storage_full");
      assert.deepEqual(srv.app.store.totals().repos, 2);
      const before = srv.app.store.totals();
      // A push whose roster adds two member entries would pass the bound (2 + 2 > 3).
      const roster = [memberEntry(alice, a.dataKey, 1), memberEntry(Identity.random(), a.dataKey, 1), memberEntry(Identity.random(), a.dataKey, 1)];
      const push = await call(srv.url, "POST", `${a.path}/push`, { repoId: a.repoId, envelope: envelope(a.dataKey, a.repoId, 2, 1), expectedPayloadVersion: 1, rotatedMembers: roster }, a.token);
      assert.equal(push.status, 507);
      assert.deepEqual(srv.app.store.totals(), before);
    } finally {
      await srv.close();
    }
  });

  it("stored bytes are bounded", async () => {
    const srv = await startServer({ maxStoredBytes: 4000 });
    try {
      const alice = Identity.random();
      const a = await newRepo(srv.url, alice);
      const big = envelope(a.dataKey, a.repoId, 2, 0, ["x".repeat(4000)]);
      const r = await call(srv.url, "POST", `${a.path}/push`, { repoId: a.repoId, envelope: big, expectedPayloadVersion: 1 }, a.token);
      assert.equal(r.status, 507);
      assert.equal((await call(srv.url, "POST", `${a.path}/pull`, { repoId: a.repoId, knownPayloadVersion: 0 }, a.token)).body.manifest.payloadVersion, 1);
    } finally {
      await srv.close();
    }
  });

  it("repository creation is rate limited per address → 429 rate_limited, nothing created", async () => {
    const srv = await startServer({ createBurst: 2, createPerMinute: 60 });
    try {
      const alice = Identity.random();
      const token = await login(srv.url, alice);
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await call(srv.url, "POST", "/v1/repos", createBody(alice).body, token)).status);
      assert.deepEqual(statuses.slice(0, 2), [200, 200]);
      assert.ok(statuses.slice(2).includes(429), statuses.join(","));
      assert.equal(srv.app.store.totals().repos, statuses.filter((s) => s === 200).length);
    } finally {
      await srv.close();
    }
  });
});
