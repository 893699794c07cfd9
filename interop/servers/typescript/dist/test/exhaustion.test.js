"use strict";
// Hostile traffic from someone with no account (issue 11): oversized and too many headers, slow and
// idle connections, connection floods, challenge floods, login floods, storage floods. Every loop
// is bounded and every timeout short (configured per server), all on 127.0.0.1.
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_crypto_1 = require("node:crypto");
const node_net_1 = require("node:net");
const node_test_1 = require("node:test");
const b64_1 = require("../b64");
const identity_1 = require("../identity");
const helpers_1 = require("./helpers");
/** A raw connection that collects what the server sends and notes when the server closes it. */
class Raw {
    sock;
    text = "";
    closedAtMs = null;
    opened;
    startMs = Date.now();
    constructor(url) {
        this.sock = (0, node_net_1.connect)(Number(new URL(url).port), "127.0.0.1");
        this.sock.on("data", (d) => (this.text += d.toString("latin1")));
        this.sock.on("error", () => undefined);
        this.sock.on("close", () => (this.closedAtMs = Date.now() - this.startMs));
        this.opened = new Promise((ok) => this.sock.once("connect", () => ok()));
    }
    /** Resolve once the server closed the connection, or after `ms` (then: still open). */
    closed(ms) {
        if (this.closedAtMs !== null)
            return Promise.resolve(true);
        return new Promise((ok) => {
            const t = setTimeout(() => ok(false), ms);
            this.sock.once("close", () => {
                clearTimeout(t);
                ok(true);
            });
        });
    }
    status() {
        const m = /^HTTP\/1\.1 (\d{3}) /.exec(this.text);
        return m === null ? null : Number(m[1]);
    }
    /** The JSON body of the (single) response received. */
    json() {
        return JSON.parse(this.text.slice(this.text.indexOf("\r\n\r\n") + 4));
    }
}
const DISCOVERY = "GET /.well-known/avp HTTP/1.1\r\nHost: x\r\n";
(0, node_test_1.describe)("headers", () => {
    let srv;
    (0, node_test_1.before)(async () => (srv = await (0, helpers_1.startServer)()));
    (0, node_test_1.after)(() => srv.close());
    (0, node_test_1.it)("a header block over 16 KiB → 431 with the contract's JSON body", async () => {
        const raw = new Raw(srv.url);
        await raw.opened;
        raw.sock.write(`${DISCOVERY}X-Big: ${"a".repeat(17 * 1024)}\r\n\r\n`);
        node_assert_1.strict.equal(await raw.closed(5000), true);
        node_assert_1.strict.equal(raw.status(), 431);
        node_assert_1.strict.match(raw.text, /Content-Type: application\/json/i);
        node_assert_1.strict.deepEqual(raw.json().code, "headers_too_large");
    });
    (0, node_test_1.it)("more than 100 header fields → 431 JSON; exactly 100 is fine", async () => {
        const many = (n) => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join("");
        const raw = new Raw(srv.url);
        await raw.opened;
        raw.sock.write(`${DISCOVERY}${many(100)}\r\n`); // + Host = 101 fields
        node_assert_1.strict.equal(await raw.closed(5000), true);
        node_assert_1.strict.equal(raw.status(), 431);
        node_assert_1.strict.equal(raw.json().code, "headers_too_large");
        const ok = new Raw(srv.url);
        await ok.opened;
        ok.sock.write(`${DISCOVERY}${many(98)}Connection: close\r\n\r\n`); // Host + 98 + Connection = 100 fields
        await ok.closed(5000);
        node_assert_1.strict.equal(ok.status(), 200);
    });
    (0, node_test_1.it)("a request the parser refuses (two Content-Lengths, bad bytes) → 400 with a JSON body", async () => {
        for (const bad of [
            "POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            "GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n",
            "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
        ]) {
            const raw = new Raw(srv.url);
            await raw.opened;
            raw.sock.write(Buffer.from(bad, "latin1"));
            node_assert_1.strict.equal(await raw.closed(5000), true, JSON.stringify(bad));
            node_assert_1.strict.equal(raw.status(), 400, JSON.stringify(bad));
            node_assert_1.strict.equal(raw.json().code, "bad_request");
        }
    });
});
(0, node_test_1.describe)("slow and idle connections", () => {
    let srv;
    (0, node_test_1.before)(async () => (srv = await (0, helpers_1.startServer)({ headerTimeoutSeconds: 1, idleTimeoutSeconds: 1, bodyMinBytesPerSecond: 1024 })));
    (0, node_test_1.after)(() => srv.close());
    (0, node_test_1.it)("headers that trickle in past the header timeout → 408 JSON and closed", async () => {
        const raw = new Raw(srv.url);
        await raw.opened;
        raw.sock.write("GET /.well-known/avp HTTP/1.1\r\n");
        const drip = setInterval(() => raw.sock.writable && raw.sock.write("X-Slow: 1\r\n"), 200);
        try {
            node_assert_1.strict.equal(await raw.closed(6000), true);
        }
        finally {
            clearInterval(drip);
        }
        node_assert_1.strict.equal(raw.status(), 408);
        node_assert_1.strict.equal(raw.json().code, "request_timeout");
    });
    (0, node_test_1.it)("a body slower than its size allows → 408 JSON, and the connection is closed", async () => {
        const raw = new Raw(srv.url);
        await raw.opened;
        // 4 KiB at >= 1 KiB/s after a 1 s allowance: 5 s; it sends 1 byte and stops.
        raw.sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 4096\r\n\r\n{");
        node_assert_1.strict.equal(await raw.closed(9000), true);
        node_assert_1.strict.equal(raw.status(), 408);
        node_assert_1.strict.equal(raw.json().code, "request_timeout");
    });
    (0, node_test_1.it)("a connection that never sends anything, and an idle keep-alive one, are closed within seconds", async () => {
        const silent = new Raw(srv.url);
        const idle = new Raw(srv.url);
        await Promise.all([silent.opened, idle.opened]);
        idle.sock.write(`${DISCOVERY}\r\n`);
        node_assert_1.strict.equal(await idle.closed(5000), true);
        node_assert_1.strict.equal(idle.status(), 200);
        node_assert_1.strict.equal(await silent.closed(5000), true);
    });
});
(0, node_test_1.describe)("connection cap", () => {
    let srv;
    (0, node_test_1.before)(async () => (srv = await (0, helpers_1.startServer)({ maxConnections: 8 })));
    (0, node_test_1.after)(() => srv.close());
    (0, node_test_1.it)("beyond the cap a new connection gets 503 overloaded and is closed; an established client keeps working", async () => {
        const agent = new Raw(srv.url); // the established client, first in
        await agent.opened;
        const hogs = Array.from({ length: 7 }, () => new Raw(srv.url));
        await Promise.all(hogs.map((h) => h.opened));
        const late = new Raw(srv.url);
        await late.opened;
        node_assert_1.strict.equal(await late.closed(3000), true, "a connection past the cap is refused");
        node_assert_1.strict.equal(late.status(), 503);
        node_assert_1.strict.equal(late.json().code, "overloaded");
        agent.sock.write(`${DISCOVERY}\r\n`);
        await new Promise((ok) => setTimeout(ok, 300));
        node_assert_1.strict.equal(agent.status(), 200);
        for (const h of [agent, ...hogs])
            h.sock.destroy();
    });
});
(0, node_test_1.describe)("login routes", () => {
    let srv;
    (0, node_test_1.before)(async () => (srv = await (0, helpers_1.startServer)({ loginBurst: 5, loginPerMinute: 60 })));
    (0, node_test_1.after)(() => srv.close());
    (0, node_test_1.it)("a challenge stores nothing: 2,000 challenges leave the store as it was", async () => {
        const flood = await (0, helpers_1.startServer)();
        try {
            const key = { ed25519PublicKey: (0, b64_1.encodeStd)((0, node_crypto_1.randomBytes)(32)) };
            for (let i = 0; i < 2000; i++)
                node_assert_1.strict.equal((await (0, helpers_1.call)(flood.url, "POST", "/api/auth/keypair/challenge", key)).status, 200);
            node_assert_1.strict.equal(flood.app.store.usedNonces.size, 0);
            // A successful login records its nonce, and only then; a replay of it is 401.
            const id = identity_1.Identity.random();
            const ch = await (0, helpers_1.call)(flood.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
            const body = { ed25519PublicKey: id.memberId, nonce: ch.body.nonce, signature: (0, b64_1.encodeStd)(id.sign(Buffer.from(ch.body.nonce, "base64"))) };
            node_assert_1.strict.equal((await (0, helpers_1.call)(flood.url, "POST", "/api/auth/keypair/token", body)).status, 200);
            node_assert_1.strict.equal(flood.app.store.usedNonces.size, 1);
            node_assert_1.strict.equal((await (0, helpers_1.call)(flood.url, "POST", "/api/auth/keypair/token", body)).status, 401);
        }
        finally {
            await flood.close();
        }
    });
    (0, node_test_1.it)("a tampered nonce (issue time moved, other key) → 401", async () => {
        const id = identity_1.Identity.random();
        const ch = await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
        const nonce = Buffer.from(ch.body.nonce, "base64");
        nonce.writeBigUInt64BE(nonce.readBigUInt64BE(1) + 60000n, 1);
        const r = await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/token", { ed25519PublicKey: id.memberId, nonce: (0, b64_1.encodeStd)(nonce), signature: (0, b64_1.encodeStd)(id.sign(nonce)) });
        node_assert_1.strict.equal(r.status, 401);
    });
    (0, node_test_1.it)("the login routes share a per-address token bucket → 429 rate_limited with Retry-After", async () => {
        const key = { ed25519PublicKey: (0, b64_1.encodeStd)((0, node_crypto_1.randomBytes)(32)) };
        const statuses = [];
        let limited;
        for (let i = 0; i < 8; i++) {
            const r = await (0, helpers_1.call)(srv.url, "POST", i % 2 === 0 ? "/api/auth/keypair/challenge" : "/api/auth/keypair/token", i % 2 === 0 ? key : {});
            statuses.push(r.status);
            if (r.status === 429)
                limited = r;
        }
        node_assert_1.strict.equal(statuses.filter((s) => s === 429).length >= 2, true, statuses.join(","));
        node_assert_1.strict.equal(limited?.body.code, "rate_limited");
        node_assert_1.strict.ok(Number(limited?.headers.get("retry-after")) >= 1);
        // Other routes are not limited.
        node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "GET", "/.well-known/avp")).status, 200);
    });
});
(0, node_test_1.describe)("bounded storage", () => {
    (0, node_test_1.it)("global repository, member and byte bounds → 507 storage_full, nothing written", async () => {
        const srv = await (0, helpers_1.startServer)({ maxRepos: 2, maxMemberEntries: 3, maxStoredBytes: 1_000_000 });
        try {
            const alice = identity_1.Identity.random();
            const a = await (0, helpers_1.newRepo)(srv.url, alice);
            await (0, helpers_1.newRepo)(srv.url, identity_1.Identity.random());
            const third = await (0, helpers_1.call)(srv.url, "POST", "/v1/repos", (0, helpers_1.createBody)(alice).body, a.token);
            node_assert_1.strict.equal(third.status, 507);
            node_assert_1.strict.equal(third.body.code, "storage_full");
            node_assert_1.strict.deepEqual(srv.app.store.totals().repos, 2);
            const before = srv.app.store.totals();
            // A push whose roster adds two member entries would pass the bound (2 + 2 > 3).
            const roster = [(0, helpers_1.memberEntry)(alice, a.dataKey, 1), (0, helpers_1.memberEntry)(identity_1.Identity.random(), a.dataKey, 1), (0, helpers_1.memberEntry)(identity_1.Identity.random(), a.dataKey, 1)];
            const push = await (0, helpers_1.call)(srv.url, "POST", `${a.path}/push`, { repoId: a.repoId, envelope: (0, helpers_1.envelope)(a.dataKey, a.repoId, 2, 1), expectedPayloadVersion: 1, rotatedMembers: roster }, a.token);
            node_assert_1.strict.equal(push.status, 507);
            node_assert_1.strict.deepEqual(srv.app.store.totals(), before);
        }
        finally {
            await srv.close();
        }
    });
    (0, node_test_1.it)("stored bytes are bounded", async () => {
        const srv = await (0, helpers_1.startServer)({ maxStoredBytes: 4000 });
        try {
            const alice = identity_1.Identity.random();
            const a = await (0, helpers_1.newRepo)(srv.url, alice);
            const big = (0, helpers_1.envelope)(a.dataKey, a.repoId, 2, 0, ["x".repeat(4000)]);
            const r = await (0, helpers_1.call)(srv.url, "POST", `${a.path}/push`, { repoId: a.repoId, envelope: big, expectedPayloadVersion: 1 }, a.token);
            node_assert_1.strict.equal(r.status, 507);
            node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "POST", `${a.path}/pull`, { repoId: a.repoId, knownPayloadVersion: 0 }, a.token)).body.manifest.payloadVersion, 1);
        }
        finally {
            await srv.close();
        }
    });
    (0, node_test_1.it)("repository creation is rate limited per address → 429 rate_limited, nothing created", async () => {
        const srv = await (0, helpers_1.startServer)({ createBurst: 2, createPerMinute: 60 });
        try {
            const alice = identity_1.Identity.random();
            const token = await (0, helpers_1.login)(srv.url, alice);
            const statuses = [];
            for (let i = 0; i < 4; i++)
                statuses.push((await (0, helpers_1.call)(srv.url, "POST", "/v1/repos", (0, helpers_1.createBody)(alice).body, token)).status);
            node_assert_1.strict.deepEqual(statuses.slice(0, 2), [200, 200]);
            node_assert_1.strict.ok(statuses.slice(2).includes(429), statuses.join(","));
            node_assert_1.strict.equal(srv.app.store.totals().repos, statuses.filter((s) => s === 200).length);
        }
        finally {
            await srv.close();
        }
    });
});
