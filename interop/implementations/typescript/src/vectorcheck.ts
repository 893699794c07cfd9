// Checks vector files (the published avp-spec-vectors layout and this project's richer vectors/:
// index.json + one file per construction) with this package's own crypto. Used by the actor's
// `verify_vectors` op and by the tests. A rejection must carry the expected error code.

import { createHash, createHmac, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeStd, decodeUrl, encodeStd } from "./b64";
import { ClientError } from "./clienterror";
import { signEd25519, verifyStrict } from "./ed25519";
import { aad, decryptPayload, deriveKek, encryptPayload, sealDataKey, unwrapDataKey, wrapDataKey, WrappedKey, x25519 } from "./envelope";
import { decodeInvite, decodeLocator, encodeInvite, encodeLocator, formatAddress, parseAddress } from "./federation";
import { isObject, parseJson } from "./json";
import { privateKeyFromRaw, rawPublic } from "./keys";
import type { HttpError } from "./errors";
import * as schema from "./schema";
import { jwkThumbprint } from "./tokens";
import { Opened, openSealedIdentity, SlotKind } from "./sealedidentity";

export interface FileReport {
  checked: number;
  failed: number;
  skipped: number;
  failures: string[];
}

type Case = Record<string, any>; // vector JSON of any shape
type Check = [string, () => void];

const hex = (s: string): Buffer => Buffer.from(s, "hex");
/** Strict standard base64 of a vector field; a malformed one is the case's invalid_encoding. */
const b64 = (s: unknown): Buffer => {
  const b = typeof s === "string" ? decodeStd(s) : null;
  if (b === null) throw new ClientError("invalid_encoding", "not canonical standard base64");
  return b;
};

function expectEq(what: string, got: Buffer | string, want: Buffer | string): void {
  const g = typeof got === "string" ? got : got.toString("hex");
  const w = typeof want === "string" ? want : want.toString("hex");
  if (g !== w) throw new Error(`${what}: got ${g.slice(0, 80)}, want ${w.slice(0, 80)}`);
}

/** `f` must fail with ClientError `code` (any failure when `code` is undefined). */
function expectError(code: string | undefined, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (code === undefined || (e instanceof ClientError && e.code === code)) return;
    throw new Error(`expected ${code}, got ${e instanceof ClientError ? e.code : (e as Error).message}`);
  }
  throw new Error(`expected ${code ?? "a rejection"}, but it was accepted`);
}

const cases = (doc: Case): Case[] => (Array.isArray(doc["cases"]) ? doc["cases"] : []);
const named = (c: Case, i: number): string =>
  String(c["name"] ?? (c["repoId"] !== undefined ? `${c["repoId"]}/${c["payloadVersion"]}/${c["keyEpoch"]}` : `case-${i}`));
const each = (doc: Case, f: (c: Case) => void): Check[] => cases(doc).map((c, i) => [named(c, i), () => f(c)]);

const x25519Raw = (scalar: Buffer, u: Buffer): Buffer => x25519(privateKeyFromRaw("X25519", scalar), u);

function checkPayload(c: Case, pt: Buffer): void {
  const key = b64(c["keyB64"]);
  const iv = b64(c["ivB64"]);
  if (c["aadHex"] !== undefined) expectEq("aad", aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["aadHex"]));
  const sealed = encryptPayload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], pt, iv).ciphertext;
  if (c["ciphertextB64"] !== undefined) expectEq("ciphertext", encodeStd(sealed), c["ciphertextB64"]);
  if (c["ciphertextSha256Hex"] !== undefined) expectEq("ciphertext digest", createHash("sha256").update(sealed).digest(), hex(c["ciphertextSha256Hex"]));
  if (c["tagHex"] !== undefined) expectEq("tag", sealed.subarray(sealed.length - 16), hex(c["tagHex"]));
  expectEq("plaintext", decryptPayload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, sealed), pt);
  if (c["tamperEpoch"] !== undefined) {
    expectError("invalid_tag", () => decryptPayload(key, c["repoId"], c["payloadVersion"], c["tamperEpoch"], iv, sealed));
  }
  for (const off of (c["tamperBitFlipOffsets"] ?? []) as number[]) {
    const flipped = Buffer.from(sealed);
    flipped[off] = (flipped[off] ?? 0) ^ 1;
    expectError("invalid_tag", () => decryptPayload(key, c["repoId"], c["payloadVersion"], c["keyEpoch"], iv, flipped));
  }
}

/** block i = SHA-256(seed ‖ uint32BE(i)); the plaintext is the first `length` bytes of the blocks. */
function expandPlaintext(seedHex: string, length: number): Buffer {
  const out = Buffer.alloc(length);
  const idx = Buffer.alloc(4);
  for (let i = 0, at = 0; at < length; i++, at += 32) {
    idx.writeUInt32BE(i);
    createHash("sha256").update(hex(seedHex)).update(idx).digest().copy(out, at);
  }
  return out;
}

function checkKeyWrap(c: Case): void {
  const wk = c["wrappedKey"] as WrappedKey;
  const recipient = b64(c["recipientPrivateKeyB64"]);
  const eph = b64(wk.ephemeralPublicKey);
  const shared = x25519Raw(recipient, eph);
  if (c["sharedSecretHex"] !== undefined) expectEq("shared secret", shared, hex(c["sharedSecretHex"]));
  const kek = deriveKek(shared, eph);
  if (c["kekHex"] !== undefined) expectEq("kek", kek, hex(c["kekHex"]));
  // Re-wrap: with the KEK and IV fixed, AES-GCM is deterministic; with the ephemeral private key
  // given, the whole wrap (key generation excepted) is reproduced.
  expectEq("wrapped ciphertext", encodeStd(sealDataKey(kek, b64(wk.iv), b64(c["dataKeyB64"]))), wk.ciphertext);
  if (c["ephemeralPrivateKeyB64"] !== undefined) {
    const again = wrapDataKey(b64(c["dataKeyB64"]), b64(c["recipientPublicKeyB64"]), privateKeyFromRaw("X25519", b64(c["ephemeralPrivateKeyB64"])), b64(wk.iv));
    expectEq("wrapped key", JSON.stringify(again), JSON.stringify({ schemeId: wk.schemeId, ephemeralPublicKey: wk.ephemeralPublicKey, iv: wk.iv, ciphertext: wk.ciphertext }));
  }
  expectEq("unwrapped key", unwrapDataKey(wk, privateKeyFromRaw("X25519", recipient)), b64(c["dataKeyB64"]));
}

function checkNegative(c: Case): void {
  const code = c["expectedError"] as string | undefined;
  switch (c["op"]) {
    case "payload-decrypt":
      return expectError(code, () => decryptPayload(b64(c["keyB64"]), c["repoId"], c["payloadVersion"], c["keyEpoch"], b64(c["ivB64"]), b64(c["ciphertextB64"])));
    case "key-unwrap":
      return expectError(code, () =>
        unwrapDataKey(
          { schemeId: c["schemeId"] ?? "X25519-HKDF-SHA256-AESGCM-v1", ephemeralPublicKey: c["ephemeralPublicKeyB64"], iv: c["ivB64"], ciphertext: c["ciphertextB64"] },
          privateKeyFromRaw("X25519", b64(c["recipientPrivateKeyB64"])),
        ),
      );
    case "key-wrap":
      return expectError(code, () =>
        wrapDataKey(b64(c["dataKeyB64"]), b64(c["recipientPublicKeyB64"]), privateKeyFromRaw("X25519", b64(c["ephemeralPrivateKeyB64"])), b64(c["ivB64"])),
      );
    case "x25519":
      return expectError(code, () => x25519Raw(hex(c["scalarHex"]), hex(c["uCoordinateHex"])));
    case "ed25519-verify":
      if (verifyStrict(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]))) throw new Error("mutated signature verifies");
      return;
    case "base64-decode":
      return expectError(code, () => {
        const b = b64(c["input"]);
        if (c["length"] !== null && c["length"] !== undefined && b.length !== c["length"]) throw new ClientError("invalid_encoding", "wrong length");
      });
    case "aad":
      return expectError(code, () => aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]));
    case "invite-decode":
      return expectError(code, () => decodeInvite(c["token"]));
    case "locator-decode":
      return expectError(code, () => decodeLocator(c["token"]));
    case "address-parse":
      return expectError(code, () => parseAddress(c["uri"]));
    default:
      throw new Error(`unknown op ${c["op"]}`);
  }
}

/** What a server answers to a token request: bad_request for a malformed field, else verify. */
function challengeVerdict(c: Case): string {
  const key = decodeStd(String(c["ed25519PublicKey"]));
  const nonce = decodeStd(String(c["nonce"]));
  const sig = decodeStd(String(c["signature"]));
  if (key?.length !== 32 || nonce?.length !== 32 || sig?.length !== 64) return "bad_request";
  return verifyStrict(key, nonce, sig) ? "accept" : "unauthorized";
}

function bindingVerdict(issuer: Buffer, ed: string, x: string, sig: unknown): boolean {
  const raw = typeof sig === "string" ? decodeStd(sig) : null;
  return raw !== null && raw.length === 64 && verifyStrict(issuer, Buffer.from(`${ed}|${x}`, "utf8"), raw);
}

function federationChecks(doc: Case): Check[] {
  const decode = (schema: string, token: string): Record<string, unknown> =>
    schema === "InviteRequest" ? { v: 1, ...decodeInvite(token) } : { v: 1, ...decodeLocator(token) };
  const encode = (schema: string, token: string): string =>
    schema === "InviteRequest" ? encodeInvite(decodeInvite(token)) : encodeLocator(decodeLocator(token));
  return [
    ...((doc["tokens"] ?? []) as Case[]).map((c, i): Check => [named(c, i), () => {
      expectEq("decoded", canonical(decode(c["schema"], c["base64url"])), canonical(c["decoded"]));
      expectEq("re-encoded token", encode(c["schema"], c["base64url"]), c["base64url"]);
      expectEq("canonical JSON", Buffer.from(c["base64url"], "base64url").toString("utf8"), c["canonicalJson"]);
    }]),
    ...((doc["decodeOracles"] ?? []) as Case[]).map((c, i): Check => [named(c, i), () => {
      expectEq("decoded", canonical(decode(c["schema"], c["base64url"])), canonical(c["decoded"]));
    }]),
    ...((doc["uris"] ?? []) as Case[]).map((c, i): Check => [named(c, i), () => {
      const a = parseAddress(c["uri"]);
      expectEq("host", a.host, c["host"]);
      expectEq("repoId", a.repoId, c["repoId"]);
      expectEq("formatted", formatAddress(c["host"], c["repoId"]), c["uri"]);
    }]),
  ];
}

/** Resolve an RFC 6901 JSON pointer. */
function pointer(doc: unknown, at: string): any {
  let v: any = doc;
  for (const raw of at.split("/").slice(1)) {
    const k = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (v === null || typeof v !== "object" || !(k in v)) throw new Error(`${at}: no such member`);
    v = v[k];
  }
  return v;
}

function transcriptChecks(doc: Case): Check[] {
  const server = b64(doc["server"]?.["ed25519PublicKey"]);
  const actors = (doc["actors"] ?? {}) as Record<string, Case>;
  const keys = (doc["secrets"]?.["dataKeys"] ?? {}) as Record<string, string>;
  const plaintexts = (doc["secrets"]?.["plaintexts"] ?? {}) as Record<string, string>;
  const open = (env: Case, key: string): Buffer => decryptPayload(b64(keys[key]), env["repoId"], env["payloadVersion"], env["keyEpoch"], b64(env["iv"]), b64(env["ciphertext"]));
  const run = (c: Case, chk: Case): void => {
    const target = pointer(c, chk["at"]);
    switch (chk["check"]) {
      case "nonce-signature":
        if (challengeVerdict(target) !== "accept") throw new Error("the login signature does not verify over the raw nonce");
        return;
      case "jwt": {
        const [h, p, s] = String(target).split(".") as [string, string, string];
        const sig = decodeUrl(s ?? "");
        if (sig === null || !verifyStrict(server, Buffer.from(`${h}.${p}`, "ascii"), sig)) throw new Error("token signature does not verify under the server key");
        const head = parseJson(decodeUrl(h)?.toString("utf8") ?? "");
        const claims = parseJson(decodeUrl(p)?.toString("utf8") ?? "");
        if (!isObject(head) || head["alg"] !== "EdDSA" || !isObject(claims)) throw new Error("token header/claims malformed");
        expectEq("sub", String(claims["sub"]), `key:${chk["subject"]}`);
        expectEq("kind", String(claims["kind"]), "keypair");
        return;
      }
      case "unwrap": {
        const actor = actors[chk["actor"]];
        expectEq("data key", unwrapDataKey(target, privateKeyFromRaw("X25519", b64(actor?.["x25519PrivateB64"]))), b64(keys[chk["dataKey"]]));
        return;
      }
      case "decrypt":
        expectEq("plaintext", open(target, chk["dataKey"]), Buffer.from(plaintexts[chk["plaintext"]] ?? "", "utf8"));
        return;
      case "decrypt-fails":
        return expectError(chk["expectedError"], () => open(target, chk["dataKey"]));
      case "jwks": {
        const x = decodeUrl(String(target["x"]));
        if (x === null) throw new Error("jwk x is not canonical base64url");
        expectEq("key", x, server);
        expectEq("kid", String(target["kid"]), jwkThumbprint(String(target["x"])));
        expectEq("kty/crv/alg", `${target["kty"]}/${target["crv"]}/${target["alg"]}`, "OKP/Ed25519/EdDSA");
        return;
      }
      case "key-binding":
        if (!bindingVerdict(server, target["ed25519PublicKey"], target["x25519PublicKey"], target["keyBindingSig"])) throw new Error("keyBindingSig does not verify");
        return;
      default:
        throw new Error(`unknown check ${chk["check"]}`);
    }
  };
  return cases(doc).map((c, i): Check => [named(c, i), () => {
    wellFormed(c["request"]);
    ((c["checks"] ?? []) as Case[]).forEach((chk, j) => {
      try {
        run(c, chk);
      } catch (e) {
        throw new Error(`check ${j} (${chk["check"]}): ${(e as Error).message}`);
      }
    });
  }]);
}

/** A transcript request body passes the server's own schema for its route (wire contract §3). */
function wellFormed(req: Case | undefined): void {
  if (req?.["method"] !== "POST") return;
  const path = String(req["path"]);
  const validator =
    path === "/api/auth/keypair/challenge" ? schema.challengeRequest
    : path === "/api/auth/keypair/token" ? schema.tokenRequest
    : path === "/v1/repos" ? schema.createRepoRequest
    : path === "/v1/key-binding" ? schema.keyBindingRequest
    : path.endsWith("/pull") ? schema.pullRequest
    : path.endsWith("/push") ? schema.pushRequest
    : path.endsWith("/add-member") ? schema.addMemberRequest
    : path.endsWith("/remove-member") ? schema.removeMemberRequest
    : null;
  if (validator === null) throw new Error(`no schema for ${path}`);
  try {
    validator(req["body"]);
  } catch (e) {
    throw new Error(`request body is malformed: ${(e as HttpError).detail ?? (e as Error).message}`);
  }
}

const CHECKERS: Record<string, (doc: Case) => Check[]> = {
  "aad.json": (doc) => each(doc, (c) => expectEq("aad", aad(c["repoId"], c["payloadVersion"], c["keyEpoch"]), hex(c["expectedAadHex"]))),
  "key-binding-message.json": (doc) =>
    each(doc, (c) => expectEq("message", `${c["ed25519PublicKey"]}|${c["x25519PublicKey"]}`, c["expectedMessageUtf8"] ?? c["messageUtf8"])),
  "hkdf.json": (doc) =>
    each(doc, (c) => {
      const salt = hex(c["saltHex"] ?? "");
      // Extract is HMAC(salt, ikm), an empty salt meaning HashLen zeros (RFC 5869 §2.2).
      const prk = createHmac("sha256", salt.length === 0 ? Buffer.alloc(32) : salt).update(hex(c["ikmHex"])).digest();
      expectEq("prk", prk, hex(c["prkHex"]));
      expectEq("okm", Buffer.from(hkdfSync("sha256", hex(c["ikmHex"]), salt, hex(c["infoHex"] ?? ""), c["length"])), hex(c["okmHex"]));
    }),
  "x25519.json": (doc) => each(doc, (c) => expectEq("output", x25519Raw(hex(c["scalarHex"]), hex(c["uCoordinateHex"])), hex(c["outputHex"]))),
  "ed25519.json": (doc) =>
    each(doc, (c) => {
      const key = privateKeyFromRaw("Ed25519", hex(c["seedHex"]));
      expectEq("public key", rawPublic(key), hex(c["publicKeyHex"]));
      expectEq("signature", signEd25519(key, hex(c["messageHex"])), hex(c["signatureHex"]));
      if (!verifyStrict(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]))) throw new Error("does not verify");
    }),
  "ed25519-policy.json": (doc) =>
    each(doc, (c) => {
      const ok = verifyStrict(hex(c["publicKeyHex"]), hex(c["messageHex"]), hex(c["signatureHex"]));
      expectEq("verdict", ok ? "accept" : "reject", String(c["verdict"]));
    }),
  "key-binding.json": (doc) =>
    each(doc, (c) => {
      expectEq("message", `${c["ed25519PublicKey"]}|${c["x25519PublicKey"]}`, c["messageUtf8"]);
      const ok = bindingVerdict(b64(c["issuerPublicKey"]), c["ed25519PublicKey"], c["x25519PublicKey"], c["keyBindingSig"]);
      expectEq("verdict", ok ? "accept" : "reject", String(c["verdict"]));
    }),
  "challenge.json": (doc) =>
    each(doc, (c) => expectEq("verdict", challengeVerdict(c), c["verdict"] === "accept" ? "accept" : String(c["expectedError"]))),
  "payload-aead.json": (doc) => each(doc, (c) => checkPayload(c, Buffer.from(c["plaintextUtf8"], "utf8"))),
  "payload-aead-sizes.json": (doc) => each(doc, (c) => checkPayload(c, expandPlaintext(c["plaintext"]["seedHex"], c["plaintext"]["length"]))),
  "key-wrap.json": (doc) => each(doc, checkKeyWrap),
  "negative.json": (doc) => each(doc, checkNegative),
  "negative-extended.json": (doc) => each(doc, checkNegative),
  "federation.json": federationChecks,
  "identity.json": (doc) =>
    each(doc, (c) => {
      const open = (): Opened => openSealedIdentity(c["sealed"], c["unlockWith"] as SlotKind, String(c["secret"]));
      if (c["verdict"] !== "accept") return expectError(c["expectedError"], open);
      const got = open();
      if (c["derivedKeyHex"] !== undefined) expectEq("derived key", got.slotKey, hex(c["derivedKeyHex"]));
      expectEq("ed25519 public key", rawPublic(privateKeyFromRaw("Ed25519", got.ed25519Seed)).toString("base64"), c["ed25519PublicKey"]);
      expectEq("x25519 public key", rawPublic(privateKeyFromRaw("X25519", got.x25519Private)).toString("base64"), c["x25519PublicKey"]);
    }),
  "transcript.json": transcriptChecks,
};

/** Order-insensitive comparison form of a decoded token. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(",")}}`;
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
