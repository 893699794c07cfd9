// One checker per vector file, and the folder walk: every case of every file listed in index.json
// is checked; a file, op or check this verifier does not know is a failure, never a skip.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

import { publicKey, signMessage, strictVerify } from "./ed25519";
import { b64, b64url, expand, hex, sha256, strictB64, strictB64url } from "./encoding";
import { expect, Mismatch, mustFail, Rejected } from "./errors";
import { openIdentity } from "./identity";
import { canonicalPayload } from "./payload";
import {
  aad,
  canonicalJson,
  decodeToken,
  hkdf,
  kek,
  openPayload,
  parseAddress,
  SCHEME_ID,
  seal,
  unwrap,
  WRAP_INFO,
  WrappedKey,
  x25519,
  x25519Public,
} from "./primitives";

// Vector files are JSON written by another implementation: fields are read dynamically and a
// missing or mistyped field surfaces as a failure of that case.
type Case = any;
type Checker = (c: Case, doc: Case) => void;

function checkAad(c: Case): void {
  expect(aad(c.repoId, c.payloadVersion, c.keyEpoch).toString("hex") === c.expectedAadHex, "AAD");
}

function checkBindingMessage(c: Case): void {
  expect(`${c.ed25519PublicKey}|${c.x25519PublicKey}` === c.expectedMessageUtf8, "message");
}

function checkHkdf(c: Case): void {
  expect(c.hash === "SHA-256", "hash");
  const [prk, okm] = hkdf(hex(c.ikmHex), hex(c.saltHex), hex(c.infoHex), c.length);
  expect(prk.toString("hex") === c.prkHex, "PRK");
  expect(okm.toString("hex") === c.okmHex, "OKM");
}

function checkX25519(c: Case): void {
  expect(x25519(hex(c.scalarHex), hex(c.uCoordinateHex)).toString("hex") === c.outputHex, "shared secret");
}

function checkEd25519(c: Case): void {
  const seed = hex(c.seedHex);
  const message = hex(c.messageHex);
  expect(publicKey(seed).toString("hex") === c.publicKeyHex, "public key");
  expect(signMessage(seed, message).toString("hex") === c.signatureHex, "signature");
  expect(strictVerify(hex(c.publicKeyHex), message, hex(c.signatureHex)), "verify");
}

function checkPolicy(c: Case): void {
  const verdict = strictVerify(hex(c.publicKeyHex), hex(c.messageHex), hex(c.signatureHex)) ? "accept" : "reject";
  expect(verdict === c.verdict, `strict policy says ${verdict}`);
}

function checkKeyBinding(c: Case): void {
  const message = `${c.ed25519PublicKey}|${c.x25519PublicKey}`;
  expect(message === c.messageUtf8, "message");
  const issuer = strictB64(c.issuerPublicKey, 32);
  const valid =
    c.keyBindingSig !== null && strictVerify(issuer, Buffer.from(message), strictB64(c.keyBindingSig, 64));
  expect(valid === (c.verdict === "accept"), `binding ${valid ? "verifies" : "fails"}`);
  expect(valid || c.expectedError === "binding_invalid", "expectedError");
}

function checkChallenge(c: Case): void {
  let outcome: string | undefined;
  try {
    const pub = strictB64(c.ed25519PublicKey, 32);
    const nonce = strictB64(c.nonce, 32);
    const signature = strictB64(c.signature, 64);
    outcome = strictVerify(pub, nonce, signature) ? undefined : "unauthorized";
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    outcome = "bad_request";
  }
  expect(outcome === c.expectedError, `server outcome ${outcome ?? "accept"}`);
  expect((outcome === undefined) === (c.verdict === "accept"), "verdict");
}

function checkPayload(c: Case): void {
  const key = strictB64(c.keyB64, 32);
  const iv = strictB64(c.ivB64, 12);
  const header = aad(c.repoId, c.payloadVersion, c.keyEpoch);
  expect(header.toString("hex") === c.aadHex, "AAD");
  const plaintext = Buffer.from(c.plaintextUtf8, "utf8");
  expect(b64(seal(key, iv, header, plaintext)) === c.ciphertextB64, "ciphertext");
  const ciphertext = strictB64(c.ciphertextB64);
  expect(openPayload(key, c.repoId, c.payloadVersion, c.keyEpoch, iv, ciphertext).equals(plaintext), "open");
  mustFail(() => openPayload(key, c.repoId, c.payloadVersion, c.tamperEpoch, iv, ciphertext));
}

function checkSizes(c: Case): void {
  const key = strictB64(c.keyB64, 32);
  const iv = strictB64(c.ivB64, 12);
  const header = aad(c.repoId, c.payloadVersion, c.keyEpoch);
  expect(header.toString("hex") === c.aadHex, "AAD");
  const plaintext = expand(hex(c.plaintext.seedHex), c.plaintext.length);
  const ciphertext = seal(key, iv, header, plaintext);
  if ("ciphertextB64" in c) expect(b64(ciphertext) === c.ciphertextB64, "ciphertext");
  else expect(sha256(ciphertext).toString("hex") === c.ciphertextSha256Hex, "ciphertext digest");
  expect(ciphertext.subarray(-16).toString("hex") === c.tagHex, "tag");
  expect(openPayload(key, c.repoId, c.payloadVersion, c.keyEpoch, iv, ciphertext).equals(plaintext), "open");
  mustFail(() => openPayload(key, c.repoId, c.payloadVersion, c.tamperEpoch, iv, ciphertext));
  for (const offset of c.tamperBitFlipOffsets as number[]) {
    const flipped = Buffer.from(ciphertext);
    flipped[offset] = (flipped[offset] ?? 0) ^ 1;
    mustFail(() => openPayload(key, c.repoId, c.payloadVersion, c.keyEpoch, iv, flipped));
  }
}

function checkKeyWrap(c: Case): void {
  const recipient = strictB64(c.recipientPrivateKeyB64, 32);
  const ephemeral = strictB64(c.ephemeralPrivateKeyB64, 32);
  const dataKey = strictB64(c.dataKeyB64, 32);
  const wrapped: WrappedKey = c.wrappedKey;
  expect(b64(x25519Public(recipient)) === c.recipientPublicKeyB64, "recipient public key");
  const ephemeralPublic = x25519Public(ephemeral);
  expect(b64(ephemeralPublic) === wrapped.ephemeralPublicKey, "ephemeral public key");
  const shared = x25519(ephemeral, strictB64(c.recipientPublicKeyB64, 32));
  expect(shared.toString("hex") === c.sharedSecretHex, "shared secret");
  const k = kek(shared, ephemeralPublic);
  expect(k.toString("hex") === c.kekHex, "KEK");
  expect(c.info === WRAP_INFO.toString() && wrapped.schemeId === SCHEME_ID, "scheme");
  expect(b64(seal(k, strictB64(wrapped.iv, 12), WRAP_INFO, dataKey)) === wrapped.ciphertext, "wrap ciphertext");
  expect(unwrap(wrapped, recipient).equals(dataKey), "unwrap");
}

function checkToken(c: Case): void {
  expect(isDeepStrictEqual(decodeToken(c.base64url, c.schema), c.decoded), "decoded");
  expect(canonicalJson(c.decoded, c.schema) === c.canonicalJson, "canonical JSON");
  expect(b64url(Buffer.from(c.canonicalJson, "utf8")) === c.base64url, "base64url");
}

function checkOracle(c: Case): void {
  expect(b64url(Buffer.from(c.json, "utf8")) === c.base64url, "base64url of json");
  expect(isDeepStrictEqual(decodeToken(c.base64url, c.schema), c.decoded), "decoded");
}

function checkUri(c: Case): void {
  expect(isDeepStrictEqual(parseAddress(c.uri), [c.host, c.repoId]), "parse");
  expect(`avp://${c.host}/${c.repoId}` === c.uri, "format");
}

function checkIdentity(c: Case): void {
  const open = () => openIdentity(c.sealed, c.unlockWith, c.secret, c.derivedKeyHex);
  if (c.verdict === "accept") {
    expect(isDeepStrictEqual(open(), [c.ed25519PublicKey, c.x25519PublicKey]), "opened keys");
  } else {
    mustFail(open, c.expectedError);
  }
}

function checkPayloadParse(c: Case): void {
  expect(("plaintextUtf8" in c) !== ("plaintextHex" in c), "exactly one of plaintextUtf8 and plaintextHex");
  const plaintext = "plaintextUtf8" in c ? new TextEncoder().encode(c.plaintextUtf8) : hex(c.plaintextHex);
  if (c.verdict === "reject") {
    mustFail(() => canonicalPayload(plaintext, true), c.expectedError);
    return;
  }
  expect(c.verdict === "accept", "verdict");
  const on = canonicalPayload(plaintext, true);
  expect(on.payloadVersion === c.payloadVersion && on.altCount === c.altCount, "payloadVersion and altCount");
  expect(on.json === c.canonicalUtf8, "canonicalUtf8");
  expect(canonicalPayload(plaintext, false).json === c.strippedUtf8, "strippedUtf8");
}

const NEGATIVE_OPS: Record<string, (c: Case) => unknown> = {
  "payload-decrypt": (c) =>
    openPayload(strictB64(c.keyB64), c.repoId, c.payloadVersion, c.keyEpoch, strictB64(c.ivB64), strictB64(c.ciphertextB64)),
  "key-unwrap": (c) =>
    unwrap(
      {
        schemeId: c.schemeId ?? SCHEME_ID,
        ephemeralPublicKey: c.ephemeralPublicKeyB64,
        iv: c.ivB64,
        ciphertext: c.ciphertextB64,
      },
      strictB64(c.recipientPrivateKeyB64),
    ),
  "key-wrap": (c) => {
    const ephemeral = strictB64(c.ephemeralPrivateKeyB64, 32);
    const shared = x25519(ephemeral, strictB64(c.recipientPublicKeyB64));
    return seal(kek(shared, x25519Public(ephemeral)), strictB64(c.ivB64, 12), WRAP_INFO, strictB64(c.dataKeyB64));
  },
  x25519: (c) => x25519(hex(c.scalarHex), hex(c.uCoordinateHex)),
  aad: (c) => aad(c.repoId, c.payloadVersion, c.keyEpoch),
  "base64-decode": (c) => strictB64(c.input, c.length),
  "invite-decode": (c) => decodeToken(c.token, "InviteRequest"),
  "locator-decode": (c) => decodeToken(c.token, "RepoLocator"),
  "address-parse": (c) => parseAddress(c.uri),
};

function checkNegative(c: Case): void {
  expect(c.expect === "reject", "expect");
  if (c.op === "ed25519-verify") {
    expect(!strictVerify(hex(c.publicKeyHex), hex(c.messageHex), hex(c.signatureHex)), "the signature verifies");
    return;
  }
  const op = NEGATIVE_OPS[c.op];
  if (op === undefined) throw new Mismatch(`unknown op ${JSON.stringify(c.op)}`);
  mustFail(() => op(c), c.expectedError);
}

/** RFC 6901. */
function pointer(root: Case, at: string): Case {
  let node = root;
  for (const raw of at.split("/").slice(1)) {
    const token = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = Array.isArray(node) ? node[Number(token)] : node[token];
    if (node === undefined) throw new Mismatch(`no value at ${at}`);
  }
  return node;
}

function jwkThumbprint(pub: Uint8Array): string {
  return b64url(sha256(Buffer.from(JSON.stringify({ crv: "Ed25519", kty: "OKP", x: b64url(pub) }))));
}

function checkStep(c: Case, doc: Case): void {
  const server = strictB64(doc.server.ed25519PublicKey, 32);
  expect(jwkThumbprint(server) === doc.server.kid, "server kid");
  const secrets = doc.secrets;
  const tokens = new Map<string, string>();
  for (const step of doc.cases) if (step.name.endsWith("-token")) tokens.set(step.actor, step.response.body.token);
  const auth = c.request.headers?.Authorization;
  if (auth !== undefined) expect(auth === `Bearer ${tokens.get(c.actor) ?? ""}`, "bearer token of the acting actor");
  for (const check of c.checks ?? []) {
    const target = pointer(c, check.at);
    switch (check.check) {
      case "nonce-signature": {
        const pub = strictB64(target.ed25519PublicKey, 32);
        expect(strictVerify(pub, strictB64(target.nonce, 32), strictB64(target.signature, 64)), check.check);
        break;
      }
      case "jwt": {
        const [header, claims, signature] = (target as string).split(".");
        if (header === undefined || claims === undefined || signature === undefined) throw new Mismatch("JWT parts");
        expect(strictVerify(server, Buffer.from(`${header}.${claims}`), strictB64url(signature)), "JWT signature");
        const head = JSON.parse(strictB64url(header).toString("utf8"));
        const body = JSON.parse(strictB64url(claims).toString("utf8"));
        expect(isDeepStrictEqual(head, { alg: "EdDSA", typ: "JWT", kid: doc.server.kid }), "JWT header");
        expect(body.sub === `key:${check.subject}` && body.kind === "keypair", "JWT claims");
        expect(body.aud === doc.base && body.iss === doc.base && body.exp > body.iat, "JWT audience");
        break;
      }
      case "jwks": {
        expect(target.kty === "OKP" && target.crv === "Ed25519" && target.alg === "EdDSA", "JWK");
        expect(strictB64url(target.x).equals(server) && target.kid === doc.server.kid, "JWK key");
        break;
      }
      case "key-binding": {
        const message = Buffer.from(`${target.ed25519PublicKey}|${target.x25519PublicKey}`);
        expect(strictVerify(server, message, strictB64(target.keyBindingSig, 64)), check.check);
        break;
      }
      case "unwrap": {
        const privateKey = strictB64(doc.actors[check.actor].x25519PrivateB64, 32);
        expect(b64(unwrap(target, privateKey)) === secrets.dataKeys[check.dataKey], check.check);
        break;
      }
      case "decrypt":
      case "decrypt-fails": {
        const key = strictB64(secrets.dataKeys[check.dataKey], 32);
        const run = () =>
          openPayload(key, target.repoId, target.payloadVersion, target.keyEpoch, strictB64(target.iv, 12), strictB64(target.ciphertext));
        if (check.check === "decrypt") expect(run().toString("utf8") === secrets.plaintexts[check.plaintext], "decrypt");
        else mustFail(run, check.expectedError);
        break;
      }
      default:
        throw new Mismatch(`unknown check ${JSON.stringify(check.check)}`);
    }
  }
}

/** file id -> (case list, checker) for every file this verifier knows. */
const CHECKERS: Record<string, [string, Checker][]> = {
  aad: [["cases", checkAad]],
  "key-binding-message": [["cases", checkBindingMessage]],
  hkdf: [["cases", checkHkdf]],
  x25519: [["cases", checkX25519]],
  ed25519: [["cases", checkEd25519]],
  "ed25519-policy": [["cases", checkPolicy]],
  "key-binding": [["cases", checkKeyBinding]],
  challenge: [["cases", checkChallenge]],
  "payload-aead": [["cases", checkPayload]],
  "payload-aead-sizes": [["cases", checkSizes]],
  "payload-parse": [["cases", checkPayloadParse]],
  "key-wrap": [["cases", checkKeyWrap]],
  federation: [
    ["tokens", checkToken],
    ["uris", checkUri],
    ["decodeOracles", checkOracle],
  ],
  negative: [["cases", checkNegative]],
  "negative-extended": [["cases", checkNegative]],
  identity: [["cases", checkIdentity]],
  transcript: [["cases", checkStep]],
};

export interface FileResult {
  checked: number;
  failed: number;
  skipped: number;
  failures: string[];
}

interface IndexEntry {
  id: string;
  file: string;
  cases: number;
}

export function verifyFile(folder: string, entry: IndexEntry): FileResult {
  const lists = CHECKERS[entry.id];
  if (lists === undefined) {
    return { checked: 0, failed: entry.cases, skipped: 0, failures: [`unknown file ${JSON.stringify(entry.id)}`] };
  }
  const doc = JSON.parse(readFileSync(join(folder, entry.file), "utf8"));
  const failures: string[] = [];
  let checked = 0;
  for (const [key, checker] of lists) {
    for (const c of (doc[key] ?? []) as Case[]) {
      checked++;
      try {
        checker(c, doc);
      } catch (err) {
        const kind = err instanceof Error ? err.constructor.name : "Error";
        failures.push(`${c?.name}: ${kind}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (checked !== entry.cases) failures.push(`index.json announces ${entry.cases} cases, ${checked} were checked`);
  return { checked, failed: failures.length, skipped: 0, failures };
}

export function verifyFolder(folder: string): Record<string, FileResult> {
  const index = JSON.parse(readFileSync(join(folder, "index.json"), "utf8"));
  const out: Record<string, FileResult> = {};
  for (const entry of index.vectors as IndexEntry[]) out[entry.file] = verifyFile(folder, entry);
  return out;
}
