// Checks the published vector files (avp-spec-vectors layout: index.json + one file per
// construction) with this package's own crypto: the actor's `verify_vectors` op and the tests use it.

import { createHmac, diffieHellman, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeStd, encodeStd } from "./b64";
import { signEd25519, verifyStrict } from "./ed25519";
import { aad, decryptPayload, encryptPayload, sealDataKey, unwrapDataKey, WrappedKey } from "./envelope";
import { decodeInvite, decodeLocator, encodeInvite, encodeLocator, formatAddress, parseAddress } from "./federation";
import { privateKeyFromRaw, publicKeyFromRaw, rawPublic } from "./keys";

export interface FileReport {
  checked: number;
  failed: number;
  skipped: number;
  failures: string[];
}

type Case = Record<string, any>; // vector JSON of any shape
type Checker = (doc: Case) => Array<[string, () => void]>;

const hex = (s: string): Buffer => Buffer.from(s, "hex");
const b64 = (s: string): Buffer => {
  const b = decodeStd(s);
  if (b === null) throw new Error("vector field is not canonical base64");
  return b;
};

function expectEq(what: string, got: Buffer | string, want: Buffer | string): void {
  const g = typeof got === "string" ? got : got.toString("hex");
  const w = typeof want === "string" ? want : want.toString("hex");
  if (g !== w) throw new Error(`${what}: got ${g.slice(0, 80)}, want ${w.slice(0, 80)}`);
}

function expectThrow(what: string, f: () => unknown): void {
  let threw = false;
  try {
    f();
  } catch {
    threw = true;
  }
  if (!threw) throw new Error(`${what} was accepted`);
}

const cases = (doc: Case): Case[] => (Array.isArray(doc["cases"]) ? doc["cases"] : []);
const named = (c: Case, i: number): string =>
  String(c["name"] ?? (c["repoId"] !== undefined ? `${c["repoId"]}/${c["payloadVersion"]}/${c["keyEpoch"]}` : `case-${i}`));

const x25519 = (scalar: Buffer, u: Buffer): Buffer =>
  diffieHellman({ privateKey: privateKeyFromRaw("X25519", scalar), publicKey: publicKeyFromRaw("X25519", u) });

const CHECKERS: Record<string, Checker> = {
  "aad.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      expectEq("aad", aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["expectedAadHex"]));
    }]),
  "key-binding-message.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      expectEq("message", `${c["ed25519PublicKey"]}|${c["x25519PublicKey"]}`, c["expectedMessageUtf8"]);
    }]),
  "hkdf.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      const salt = hex(c["saltHex"] ?? "");
      // Extract is HMAC(salt, ikm) with an empty salt meaning HashLen zeros (RFC 5869 §2.2).
      const prk = createHmac("sha256", salt.length === 0 ? Buffer.alloc(32) : salt).update(hex(c["ikmHex"])).digest();
      expectEq("prk", prk, hex(c["prkHex"]));
      const okm = Buffer.from(hkdfSync("sha256", hex(c["ikmHex"]), salt, hex(c["infoHex"] ?? ""), c["length"]));
      expectEq("okm", okm, hex(c["okmHex"]));
    }]),
  "x25519.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      expectEq("output", x25519(hex(c["scalarHex"]), hex(c["uCoordinateHex"])), hex(c["outputHex"]));
    }]),
  "ed25519.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      const key = privateKeyFromRaw("Ed25519", hex(c["seedHex"]));
      expectEq("public key", rawPublic(key), hex(c["publicKeyHex"]));
      expectEq("signature", signEd25519(key, hex(c["messageHex"])), hex(c["signatureHex"]));
      if (!verifyStrict(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]))) throw new Error("does not verify");
    }]),
  "payload-aead.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      const key = b64(c["keyB64"]);
      const pt = Buffer.from(c["plaintextUtf8"], "utf8");
      expectEq("aad", aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["aadHex"]));
      const sealed = encryptPayload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], pt, b64(c["ivB64"]));
      expectEq("ciphertext", encodeStd(sealed.ciphertext), c["ciphertextB64"]);
      const opened = decryptPayload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], b64(c["ivB64"]), b64(c["ciphertextB64"]));
      expectEq("plaintext", opened, pt);
      if (c["tamperEpoch"] !== undefined) {
        expectThrow("decrypt under tamperEpoch", () =>
          decryptPayload(key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], b64(c["ivB64"]), b64(c["ciphertextB64"])),
        );
      }
    }]),
  "key-wrap.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      const wk = c["wrappedKey"] as WrappedKey;
      const recipient = b64(c["recipientPrivateKeyB64"]);
      const eph = b64(wk.ephemeralPublicKey);
      const shared = x25519(recipient, eph);
      if (c["sharedSecretHex"] !== undefined) expectEq("shared secret", shared, hex(c["sharedSecretHex"]));
      const kek = Buffer.from(hkdfSync("sha256", shared, eph, Buffer.from(c["info"] ?? "avp/rdk-wrap/v1"), 32));
      if (c["kekHex"] !== undefined) expectEq("kek", kek, hex(c["kekHex"]));
      // Re-wrap: with the KEK and IV fixed, AES-GCM is deterministic.
      const again = sealDataKey(kek, b64(wk.iv), b64(c["dataKeyB64"]));
      expectEq("wrapped ciphertext", encodeStd(again), wk.ciphertext);
      expectEq("unwrapped key", unwrapDataKey(wk, privateKeyFromRaw("X25519", recipient)), b64(c["dataKeyB64"]));
    }]),
  "negative.json": (doc) =>
    cases(doc).map((c, i) => [named(c, i), () => {
      switch (c["op"]) {
        case "payload-decrypt":
          return expectThrow("mutated envelope", () =>
            decryptPayload(b64(c["keyB64"]), c["repoId"], c["payloadVersion"], c["keyEpoch"], b64(c["ivB64"]), b64(c["ciphertextB64"])),
          );
        case "key-unwrap":
          return expectThrow("mutated wrapped key", () =>
            unwrapDataKey(
              { schemeId: "X25519-HKDF-SHA256-AESGCM-v1", ephemeralPublicKey: c["ephemeralPublicKeyB64"], iv: c["ivB64"], ciphertext: c["ciphertextB64"] },
              privateKeyFromRaw("X25519", b64(c["recipientPrivateKeyB64"])),
            ),
          );
        case "ed25519-verify":
          if (verifyStrict(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]))) throw new Error("mutated signature verifies");
          return;
        default:
          throw new Error(`unknown op ${c["op"]}`);
      }
    }]),
  "federation.json": (doc) => [
    ...((doc["tokens"] ?? []) as Case[]).map((c, i): [string, () => void] => [named(c, i), () => {
      const d = c["decoded"];
      const canonical = c["schema"] === "InviteRequest" ? encodeInvite(decodeInvite(c["base64url"])) : encodeLocator(decodeLocator(c["base64url"]));
      expectEq("re-encoded token", canonical, c["base64url"]);
      expectEq("canonical JSON", Buffer.from(c["base64url"], "base64url").toString("utf8"), c["canonicalJson"]);
      const decoded = c["schema"] === "InviteRequest" ? { v: 1, ...decodeInvite(c["base64url"]) } : { v: 1, ...decodeLocator(c["base64url"]) };
      expectEq("decoded", canonicalize(decoded), canonicalize(d));
    }]),
    ...((doc["uris"] ?? []) as Case[]).map((c, i): [string, () => void] => [named(c, i), () => {
      const a = parseAddress(c["uri"]);
      expectEq("host", a.host, c["host"]);
      expectEq("repoId", a.repoId, c["repoId"]);
      expectEq("formatted", formatAddress(c["host"], c["repoId"]), c["uri"]);
    }]),
  ],
};

/** Order-insensitive comparison form of a decoded token. */
function canonicalize(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalize).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonicalize(o[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

/** Check every file listed in `<dir>/index.json`; files this checker does not know are all skipped. */
export function verifyVectorDir(dir: string): Record<string, FileReport> {
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as Case;
  const out: Record<string, FileReport> = {};
  for (const entry of (index["vectors"] ?? []) as Case[]) {
    const file = String(entry["file"]);
    const report: FileReport = { checked: 0, failed: 0, skipped: 0, failures: [] };
    out[file] = report;
    let doc: Case;
    try {
      doc = JSON.parse(readFileSync(join(dir, file), "utf8")) as Case;
    } catch (e) {
      report.failed = 1;
      report.failures.push(`${file}: ${(e as Error).message}`);
      continue;
    }
    const checker = CHECKERS[file];
    if (checker === undefined) {
      report.skipped = cases(doc).length;
      continue;
    }
    for (const [name, run] of checker(doc)) {
      report.checked++;
      try {
        run();
      } catch (e) {
        report.failed++;
        report.failures.push(`${name}: ${(e as Error).message}`);
      }
    }
  }
  return out;
}
