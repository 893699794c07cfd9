// Hostile inputs: strict JSON and base64, counters beyond 2^53, nesting, oversized bodies
// (413 decided from Content-Length or mid-stream, without reading the rest).

import { strict as assert } from "node:assert";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeStd } from "../b64";
import { Identity } from "../identity";
import { call, createBody, login, newRepo, Running, startServer } from "./helpers";

let srv: Running;
let token: string;
before(async () => {
  srv = await startServer({ maxBodyBytes: 4096 });
  token = await login(srv.url, Identity.random());
});
after(() => srv.close());

/** Send raw bytes on a fresh connection; resolve with the response head as soon as it arrives. */
function rawExchange(url: string, chunks: Buffer[]): Promise<{ head: string; sentAll: boolean }> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(port), "127.0.0.1");
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
      const next = (): void => {
        if (sock.destroyed || sent === chunks.length) return;
        sock.write(chunks[sent++] as Buffer, () => setImmediate(next));
      };
      next();
    });
  });
}

describe("body limit", () => {
  it("Content-Length over the limit → 413 too_large before any body byte is sent (and before auth)", async () => {
    const head = Buffer.from("POST /v1/repos HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n");
    const r = await rawExchange(srv.url, [head]);
    assert.match(r.head, /^HTTP\/1\.1 413 /);
  });

  it("after an early 413 the connection lingers: a client still uploading gets no reset", async () => {
    const { port } = new URL(srv.url);
    // Half-open like an HTTP client: it goes on uploading even after the server's FIN.
    const sock = connect({ port: Number(port), host: "127.0.0.1", allowHalfOpen: true });
    const failures: string[] = [];
    sock.on("error", (e: NodeJS.ErrnoException) => failures.push(e.code ?? e.message));
    await new Promise<void>((resolve) => sock.once("connect", () => resolve()));
    sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 65536\r\n\r\n");
    const head = await new Promise<string>((resolve) => sock.once("data", (d: Buffer) => resolve(d.toString("latin1"))));
    assert.match(head, /^HTTP\/1\.1 413 /);
    // Keep uploading the refused body after the answer, as a client without Expect: 100-continue does.
    for (let i = 0; i < 64 && failures.length === 0; i++) {
      await new Promise<void>((resolve) => sock.write(Buffer.alloc(1024, 0x20), () => setTimeout(resolve, 2)));
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
    sock.destroy();
    assert.deepEqual(failures, []);
  });

  it("Expect: 100-continue: an oversized or unauthenticated request is refused without inviting the body", async () => {
    const big = await rawExchange(srv.url, [
      Buffer.from(`POST /v1/repos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nExpect: 100-continue\r\nContent-Length: 100000\r\n\r\n`),
    ]);
    assert.match(big.head, /^HTTP\/1\.1 413 /);
    const anon = await rawExchange(srv.url, [Buffer.from("POST /v1/repos HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n")]);
    assert.match(anon.head, /^HTTP\/1\.1 401 /);
    const ok = await rawExchange(srv.url, [
      Buffer.from(`POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n`),
    ]);
    assert.match(ok.head, /^HTTP\/1\.1 100 Continue/);
  });

  it("a chunked body is cut off with 413 as soon as it passes the limit", async () => {
    const chunk = Buffer.concat([Buffer.from("400\r\n"), Buffer.alloc(1024, 0x20), Buffer.from("\r\n")]);
    const head = Buffer.from(
      `POST /v1/repos HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
    );
    // 64 KiB offered against a 4 KiB limit, never terminated: only an early answer can end this.
    const r = await rawExchange(srv.url, [head, ...Array.from({ length: 64 }, () => chunk)]);
    assert.match(r.head, /^HTTP\/1\.1 413 /);
    assert.equal(r.sentAll, false);
  });

  it("a body of exactly the limit is read and judged on its content", async () => {
    const body = `{"ed25519PublicKey":"${encodeStd(Buffer.alloc(32))}"}`;
    const padded = body + " ".repeat(4096 - body.length);
    assert.equal((await call(srv.url, "POST", "/api/auth/keypair/challenge", padded)).status, 200);
    assert.equal((await call(srv.url, "POST", "/api/auth/keypair/challenge", padded + " ")).status, 413);
  });
});

describe("clients that go away", () => {
  it("a connection closed mid-body is dropped quietly and the server keeps serving", async () => {
    const { port } = new URL(srv.url);
    await new Promise<void>((done) => {
      const sock = connect(Number(port), "127.0.0.1", () => {
        sock.write("POST /api/auth/keypair/challenge HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"ed25");
        setImmediate(() => {
          sock.destroy();
          done();
        });
      });
    });
    assert.equal((await call(srv.url, "GET", "/.well-known/avp")).status, 200);
  });
});

describe("strict JSON", () => {
  const key = encodeStd(Buffer.alloc(32));
  const bodies: Array<[string, string | Buffer]> = [
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
    it(`${name} → 400 bad_request`, async () => {
      const r = await fetch(`${srv.url}/api/auth/keypair/challenge`, { method: "POST", body });
      assert.equal(r.status, 400);
      assert.equal(((await r.json()) as { code: string }).code, "bad_request");
    });
  }

  it("nesting: depth 32 is parsed, 33 is 400 (top-level object = depth 1)", async () => {
    const id = Identity.random();
    const nest = (depth: number): string => "[".repeat(depth - 2) + "1" + "]".repeat(depth - 2);
    const mk = (depth: number): string => {
      const c = createBody(id);
      const manifest = JSON.stringify(c.body.manifest).slice(0, -1) + `,"deep":${nest(depth)}}`;
      return `{"manifest":${manifest},"initialEnvelope":${JSON.stringify(c.body.initialEnvelope)}}`;
    };
    const limit = await startServer();
    try {
      const lt = await login(limit.url, id);
      assert.equal((await call(limit.url, "POST", "/v1/repos", mk(32), lt)).status, 200);
      const deep = await call(limit.url, "POST", "/v1/repos", mk(33), lt);
      assert.equal(deep.status, 400);
      const huge = await call(limit.url, "POST", "/v1/repos", `{"a":${"[".repeat(100000)}}`, lt);
      assert.equal(huge.status, 400);
    } finally {
      await limit.close();
    }
  });

  it("unknown manifest fields pass through verbatim, even numbers beyond 2^53", async () => {
    const s = await startServer();
    try {
      const id = Identity.random();
      const t = await login(s.url, id);
      const c = createBody(id);
      const manifest = JSON.stringify(c.body.manifest).slice(0, -1) + `,"big":9007199254740993,"f":1.50,"s":"\\ud800"}`;
      const raw = `{"manifest":${manifest},"initialEnvelope":${JSON.stringify(c.body.initialEnvelope)}}`;
      const res = await fetch(`${s.url}/v1/repos`, { method: "POST", headers: { Authorization: `Bearer ${t}` }, body: raw });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.match(text, /"big":9007199254740993/);
      assert.match(text, /"f":1\.50/);
      assert.match(text, /"s":"\\ud800"/);
    } finally {
      await s.close();
    }
  });
});

describe("counters and base64", () => {
  it("2^53+1, 2^53, fractions and exponents are 400; 2^53-1 is accepted", async () => {
    const r = await newRepo(srv.url, Identity.random());
    const send = (v: string) =>
      call(srv.url, "POST", `${r.path}/pull`, `{"repoId":${JSON.stringify(r.repoId)},"knownPayloadVersion":${v}}`, r.token);
    for (const v of ["9007199254740993", "9007199254740992", "1.5", "2E0", "-0.0", "1e1", "-1"]) {
      assert.equal((await send(v)).status, 400, v);
    }
    assert.equal((await send("9007199254740991")).status, 200);
    assert.equal((await send("-0")).status, 200);
  });

  it("non-canonical base64 is 400: no padding, whitespace, url-safe alphabet, nonzero trailing bits", async () => {
    const good = encodeStd(Buffer.alloc(32, 0xfb));
    assert.equal((await call(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: good })).status, 200);
    const variants = [
      good.replace(/=+$/, ""),
      good.slice(0, 20) + "\n" + good.slice(20),
      ` ${good}`,
      good.replace(/\+/g, "-").replace(/\//g, "_"),
      good.slice(0, 42) + "9=", // last char carries nonzero trailing bits
      good + "=",
      "",
    ];
    assert.notEqual(variants[3], good);
    for (const v of variants) {
      const x = await call(srv.url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: v });
      assert.equal(x.status, 400, JSON.stringify(v));
    }
  });

  it("a repoId with a lone surrogate is 400", async () => {
    const r = await newRepo(srv.url, Identity.random());
    const x = await call(srv.url, "POST", `${r.path}/pull`, `{"repoId":"\\ud800","knownPayloadVersion":0}`, r.token);
    assert.equal(x.status, 400);
  });
});
