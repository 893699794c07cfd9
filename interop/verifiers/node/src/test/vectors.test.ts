// node --test: the Node verifier over the repository's vectors/ (per-file counts on stdout), and
// proof that it can fail: a tampered copy of the folder is rejected case by case.
import * as assert from "node:assert/strict";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { test } from "node:test";

import { verifyFolder } from "../checks";

const VECTORS = resolve(__dirname, "..", "..", "..", "..", "..", "vectors");

test("every case of every vector file verifies with node:crypto", () => {
  const results = verifyFolder(VECTORS);
  const lines = Object.entries(results).map(
    ([name, r]) => `${name.padEnd(28)} checked ${String(r.checked).padStart(5)}  failed ${String(r.failed).padStart(3)}`,
  );
  console.log(["vectors: independent Node verifier (node:crypto)", ...lines].join("\n"));
  for (const [name, r] of Object.entries(results)) {
    assert.deepEqual(r.failures, [], name);
    assert.ok(r.checked > 0, name);
  }
});

test("tampered values are caught", () => {
  const dir = mkdtempSync(join(tmpdir(), "avp-vectors-"));
  try {
    cpSync(VECTORS, dir, { recursive: true });
    const tamper = (file: string, edit: (doc: any) => void) => {
      const path = join(dir, file);
      const doc = JSON.parse(readFileSync(path, "utf8"));
      edit(doc);
      writeFileSync(path, JSON.stringify(doc));
    };
    tamper("ed25519-policy.json", (d) => {
      const universal = d.cases.find((c: any) => c.name === "universal/identity-key");
      universal.verdict = "accept";
    });
    tamper("negative.json", (d) => {
      d.cases[0].expectedError = "invalid_key";
    });
    tamper("transcript.json", (d) => {
      d.secrets.plaintexts.v3 = "{}";
    });
    tamper("payload-aead-sizes.json", (d) => {
      d.cases[d.cases.length - 1].ciphertextSha256Hex = "00".repeat(32);
    });
    tamper("payload-parse.json", (d) => {
      d.cases.find((c: any) => c.name === "reject/duplicate/after-unescaping").verdict = "accept";
    });
    const results = verifyFolder(dir);
    for (const file of [
      "ed25519-policy.json",
      "negative.json",
      "transcript.json",
      "payload-aead-sizes.json",
      "payload-parse.json",
    ]) {
      assert.ok((results[file]?.failed ?? 0) > 0, `${file} tamper not detected`);
    }
    assert.equal(results["aad.json"]?.failed, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
