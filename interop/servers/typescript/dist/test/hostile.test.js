"use strict";
// Hostile inputs: strict JSON and base64, counters beyond 2^53, nesting, oversized bodies
// (413 decided from Content-Length or mid-stream, without reading the rest).
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_net_1 = require("node:net");
const node_test_1 = require("node:test");
const b64_1 = require("../b64");
const identity_1 = require("../identity");
const helpers_1 = require("./helpers");
let srv;
let token;
(0, node_test_1.before)(async () => {
    srv = await (0, helpers_1.startServer)({ maxBodyBytes: 4096 });
    token = await (0, helpers_1.login)(srv.url, identity_1.Identity.random());
});
(0, node_test_1.after)(() => srv.close());
/** Send raw bytes on a fresh connection; resolve with the response head as soon as it arrives. */
function rawExchange(url, chunks) {
    const { port } = new URL(url);
    return new Promise((resolve, reject) => {
        const sock = (0, node_net_1.connect)(Number(port), "127.0.0.1");
        let got = "";
        let sent = 0;
        sock.on("data", (d) => {
            got += d.toString("latin1");
            if (got.includes("\r\n\r\n")) {
                sock.destroy();
                resolve({ head: got, sentAll: sent === chunks.length });
            }
        });
        sock.on("error", reject);
        sock.on("connect", () => {
            // Write one chunk per event-loop turn so the server can answer in between.
            const next = () => {
                if (sock.destroyed || sent === chunks.length)
                    return;
                sock.write(chunks[sent++], () => setImmediate(next));
            };
            next();
        });
    });
}
(0, node_test_1.describe)("body limit", () => {
    (0, node_test_1.it)("Content-Length over the limit → 413 too_large before any body byte is sent (and before auth)", async () => {
        const head = Buffer.from("POST /v1/repos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
        const r = await rawExchange(srv.url, [head]);
        node_assert_1.strict.match(r.head, /^HTTP\/1\.1 413 /);
    });
    (0, node_test_1.it)("after an early 413 the connection lingers: a client still uploading gets no reset", async () => {
        const { port } = new URL(srv.url);
        // Half-open like an HTTP client: it goes on uploading even after the server's FIN.
        const sock = (0, node_net_1.connect)({ port: Number(port), host: "127.0.0.1", allowHalfOpen: true });
        const failures = [];
        sock.on("error", (e) => failures.push(e.code ?? e.message));
        await new Promise((resolve) => sock.once("connect", () => resolve()));
        sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n");
        const head = await new Promise((resolve) => sock.once("data", (d) => resolve(d.toString("latin1"))));
        node_assert_1.strict.match(head, /^HTTP\/1\.1 413 /);
        // Keep uploading the refused body after the answer, as a client without Expect: 100-continue does.
        for (let i = 0; i < 64 && failures.length === 0; i++) {
            await new Promise((resolve) => sock.write(Buffer.alloc(1024, 0x20), () => setTimeout(resolve, 2)));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
        sock.destroy();
        node_assert_1.strict.deepEqual(failures, []);
    });
    (0, node_test_1.it)("Expect: 100-continue: an oversized or unauthenticated request is refused without inviting the body", async () => {
        const big = await rawExchange(srv.url, [
            Buffer.from(`POST /v1/repos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n`),
        ]);
        node_assert_1.strict.match(big.head, /^HTTP\/1\.1 413 /);
        const anon = await rawExchange(srv.url, [Buffer.from("POST /v1/repos HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")]);
        node_assert_1.strict.match(anon.head, /^HTTP\/1\.1 401 /);
        const ok = await rawExchange(srv.url, [
            Buffer.from(`POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`),
        ]);
        node_assert_1.strict.match(ok.head, /^HTTP\/1\.1 100 Continue/);
    });
    (0, node_test_1.it)("a chunked body is cut off with 413 as soon as it passes the limit", async () => {
        const chunk = Buffer.concat([Buffer.from("400\r\n"), Buffer.alloc(1024, 0x20), Buffer.from("\r\n")]);
        const head = Buffer.from(`POST /v1/repos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`);
        // 64 KiB offered against a 4 KiB limit, never terminated: only an early answer can end this.
        const r = await rawExchange(srv.url, [head, ...Array.from({ length: 64 }, () => chunk)]);
        node_assert_1.strict.match(r.head, /^HTTP\/1\.1 413 /);
        node_assert_1.strict.equal(r.sentAll, false);
    });
    (0, node_test_1.it)("a body of exactly the limit is read and judged on its content", async () => {
        const body = `{"ed25519PublicKey":"${(0, b64_1.encodeStd)(Buffer.alloc(32))}"}`;
        const padded = body + " ".repeat(4096 - body.length);
        node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/challenge", padded)).status, 200);
        node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/challenge", padded + " ")).status, 413);
    });
});
(0, node_test_1.describe)("clients that go away", () => {
    (0, node_test_1.it)("a connection closed mid-body is dropped quietly and the server keeps serving", async () => {
        const { port } = new URL(srv.url);
        await new Promise((done) => {
            const sock = (0, node_net_1.connect)(Number(port), "127.0.0.1", () => {
                sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ed25");
                setImmediate(() => {
                    sock.destroy();
                    done();
                });
            });
        });
        node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "GET", "/.well-known/avp")).status, 200);
    });
});
(0, node_test_1.describe)("strict JSON", () => {
    const key = (0, b64_1.encodeStd)(Buffer.alloc(32));
    const bodies = [
        ["duplicate key", `{"ed25519PublicKey":"${key}","ed25519PublicKey":"${key}"}`],
        ["trailing comma", `{"ed25519PublicKey":"${key}",}`],
        ["NaN", `{"ed25519PublicKey":NaN}`],
        ["Infinity", `{"ed25519PublicKey":Infinity}`],
        ["single quotes", `{'ed25519PublicKey':'${key}'}`],
        ["top-level array", `[]`],
        ["top-level string", `"x"`],
        ["empty body", ``],
        ["trailing garbage", `{"ed25519PublicKey":"${key}"} x`],
        ["BOM", Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"ed25519PublicKey":"${key}"}`)])],
        ["invalid UTF-8", Buffer.concat([Buffer.from(`{"ed25519PublicKey":"`), Buffer.from([0xc3, 0x28]), Buffer.from(`"}`)])],
        ["raw control char in string", `{"ed25519PublicKey":"a\u0001"}`],
        ["bad escape", `{"ed25519PublicKey":"\\x41"}`],
        ["1e400", `{"ed25519PublicKey":"${key}","n":1e400}`],
    ];
    for (const [name, body] of bodies) {
        (0, node_test_1.it)(`${name} → 400 bad_request`, async () => {
            const r = await fetch(`${srv.url}/api/auth/keypair/challenge`, { method: "POST", body });
            node_assert_1.strict.equal(r.status, 400);
            node_assert_1.strict.equal((await r.json()).code, "bad_request");
        });
    }
    (0, node_test_1.it)("nesting: depth 32 is parsed, 33 is 400 (top-level object = depth 1)", async () => {
        const id = identity_1.Identity.random();
        const nest = (depth) => "[".repeat(depth - 2) + "1" + "]".repeat(depth - 2);
        const mk = (depth) => {
            const c = (0, helpers_1.createBody)(id);
            const manifest = JSON.stringify(c.body.manifest).slice(0, -1) + `,"deep":${nest(depth)}}`;
            return `{"manifest":${manifest},"initialEnvelope":${JSON.stringify(c.body.initialEnvelope)}}`;
        };
        const limit = await (0, helpers_1.startServer)();
        try {
            const lt = await (0, helpers_1.login)(limit.url, id);
            node_assert_1.strict.equal((await (0, helpers_1.call)(limit.url, "POST", "/v1/repos", mk(32), lt)).status, 200);
            const deep = await (0, helpers_1.call)(limit.url, "POST", "/v1/repos", mk(33), lt);
            node_assert_1.strict.equal(deep.status, 400);
            const huge = await (0, helpers_1.call)(limit.url, "POST", "/v1/repos", `{"a":${"[".repeat(100000)}}`, lt);
            node_assert_1.strict.equal(huge.status, 400);
        }
        finally {
            await limit.close();
        }
    });
    (0, node_test_1.it)("unknown manifest fields pass through verbatim, even numbers beyond 2^53", async () => {
        const s = await (0, helpers_1.startServer)();
        try {
            const id = identity_1.Identity.random();
            const t = await (0, helpers_1.login)(s.url, id);
            const c = (0, helpers_1.createBody)(id);
            const manifest = JSON.stringify(c.body.manifest).slice(0, -1) + `,"big":9007199254740993,"f":1.50,"s":"\\ud800"}`;
            const raw = `{"manifest":${manifest},"initialEnvelope":${JSON.stringify(c.body.initialEnvelope)}}`;
            const res = await fetch(`${s.url}/v1/repos`, { method: "POST", headers: { Authorization: `Bearer ${t}` }, body: raw });
            node_assert_1.strict.equal(res.status, 200);
            const text = await res.text();
            node_assert_1.strict.match(text, /"big":9007199254740993/);
            node_assert_1.strict.match(text, /"f":1\.50/);
            node_assert_1.strict.match(text, /"s":"\\ud800"/);
        }
        finally {
            await s.close();
        }
    });
});
(0, node_test_1.describe)("counters and base64", () => {
    (0, node_test_1.it)("2^53+1, 2^53, fractions and exponents are 400; 2^53-1 is accepted", async () => {
        const r = await (0, helpers_1.newRepo)(srv.url, identity_1.Identity.random());
        const send = (v) => (0, helpers_1.call)(srv.url, "POST", `${r.path}/pull`, `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":${v}}`, r.token);
        for (const v of ["9007199254740993", "9007199254740992", "1.5", "2E0", "-0.0", "1e1", "-1"]) {
            node_assert_1.strict.equal((await send(v)).status, 400, v);
        }
        node_assert_1.strict.equal((await send("9007199254740991")).status, 200);
        node_assert_1.strict.equal((await send("-0")).status, 200);
    });
    (0, node_test_1.it)("non-canonical base64 is 400: no padding, whitespace, url-safe alphabet, nonzero trailing bits", async () => {
        const good = (0, b64_1.encodeStd)(Buffer.alloc(32, 0xfb));
        node_assert_1.strict.equal((await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: good })).status, 200);
        const variants = [
            good.replace(/=+$/, ""),
            good.slice(0, 20) + "\n" + good.slice(20),
            ` ${good}`,
            good.replace(/\+/g, "-").replace(/\//g, "_"),
            good.slice(0, 42) + "9=", // last char carries nonzero trailing bits
            good + "=",
            "",
        ];
        node_assert_1.strict.notEqual(variants[3], good);
        for (const v of variants) {
            const x = await (0, helpers_1.call)(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: v });
            node_assert_1.strict.equal(x.status, 400, JSON.stringify(v));
        }
    });
    (0, node_test_1.it)("a repoId with a lone surrogate is 400", async () => {
        const r = await (0, helpers_1.newRepo)(srv.url, identity_1.Identity.random());
        const x = await (0, helpers_1.call)(srv.url, "POST", `${r.path}/pull`, `{"repoId":"\\ud800","knownPayloadVersion":0}`, r.token);
        node_assert_1.strict.equal(x.status, 400);
    });
});
