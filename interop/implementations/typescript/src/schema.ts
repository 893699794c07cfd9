// Shape checks for every request body (wire contract §3): closed objects (except VaultManifest,
// whose unknown fields pass through), typed fields, integer counters in [0, 2^53-1], strict base64
// with exact decoded lengths, one scheme id, repoId rules. Validated objects are returned as the
// parsed JSON itself, typed, so what is stored is exactly what was sent.

import { decodeStd } from "./b64";
import { SCHEME_ID } from "./envelope";
import { badRequest } from "./errors";
import { isObject, JsonObject, JsonValue } from "./json";


export interface WrappedKey extends JsonObject {
  schemeId: string;
  ephemeralPublicKey: string;
  iv: string;
  ciphertext: string;
}

export interface MemberEntry extends JsonObject {
  ed25519PublicKey: string;
  x25519PublicKey: string;
  wrappedDataKey: WrappedKey;
  keyEpoch: number;
}

export interface Envelope extends JsonObject {
  repoId: string;
  payloadVersion: number;
  keyEpoch: number;
  iv: string;
  ciphertext: string;
}

export interface Manifest extends JsonObject {
  repoId: string;
  schemeId: string;
  keyEpoch: number;
  payloadVersion: number;
  members: MemberEntry[];
}

type Kind = "string" | "counter" | "boolean" | "object" | "array";

function fields(v: JsonValue | undefined, path: string, required: string[], optional: string[], open = false): JsonObject {
  if (!isObject(v)) throw badRequest("malformed request", `${path || "body"}: must be an object`);
  for (const k of required) {
    if (!(k in v)) throw badRequest("malformed request", `${at(path, k)}: required`);
  }
  if (!open) {
    for (const k of Object.keys(v)) {
      if (!required.includes(k) && !optional.includes(k)) {
        throw badRequest("malformed request", `${at(path, k)}: unknown field`);
      }
    }
  }
  return v;
}

const at = (path: string, k: string): string => (path ? `${path}.${k}` : k);

function typed(v: JsonValue | undefined, path: string, kind: Kind): void {
  const ok =
    kind === "string"
      ? typeof v === "string"
      : kind === "boolean"
        ? typeof v === "boolean"
        : kind === "counter"
          ? typeof v === "number" && Number.isSafeInteger(v) && v >= 0
          : kind === "array"
            ? Array.isArray(v)
            : isObject(v);
  if (!ok) {
    const what = kind === "counter" ? "an integer in [0, 2^53-1]" : `a ${kind}`;
    throw badRequest("malformed request", `${path}: must be ${what}`);
  }
}

export function str(o: JsonObject, path: string, k: string): string {
  typed(o[k], at(path, k), "string");
  return o[k] as string;
}

export function counter(o: JsonObject, path: string, k: string): number {
  typed(o[k], at(path, k), "counter");
  return o[k] as number;
}

/** A strict-base64 field decoding to exactly `len` bytes (or at least `min`). */
export function b64(o: JsonObject, path: string, k: string, len: number | { min: number }): Buffer {
  const s = str(o, path, k);
  const bytes = decodeStd(s);
  if (bytes === null) throw badRequest("malformed request", `${at(path, k)}: not canonical standard base64`);
  if (typeof len === "number" ? bytes.length !== len : bytes.length < len.min) {
    const want = typeof len === "number" ? `${len}` : `at least ${len.min}`;
    throw badRequest("malformed request", `${at(path, k)}: must decode to ${want} bytes`);
  }
  return bytes;
}

/** A member id or other 32-byte key given as a string outside a body (e.g. a path segment). */
export function keyId(s: string, what: string): Buffer {
  const bytes = decodeStd(s);
  if (bytes === null || bytes.length !== 32) throw badRequest("malformed request", `${what}: not a base64 32-byte key`);
  return bytes;
}

export function checkRepoId(id: string, where: string): void {
  // Length in characters (code points), as the contract counts them.
  const n = [...id].length;
  if (n < 1 || n > 255 || /[\u0000-\u001f\u007f]/.test(id) || id === "." || id === ".." || !id.isWellFormed()) {
    throw badRequest("malformed request", `${where}: invalid repoId`);
  }
}

function scheme(o: JsonObject, path: string): void {
  if (str(o, path, "schemeId") !== SCHEME_ID) {
    throw badRequest("unsupported scheme", `${at(path, "schemeId")}: must be ${SCHEME_ID}`);
  }
}

export function wrappedKey(v: JsonValue | undefined, path: string): WrappedKey {
  const o = fields(v, path, ["schemeId", "ephemeralPublicKey", "iv", "ciphertext"], []);
  scheme(o, path);
  b64(o, path, "ephemeralPublicKey", 32);
  b64(o, path, "iv", 12);
  b64(o, path, "ciphertext", 48);
  return o as WrappedKey;
}

export function memberEntry(v: JsonValue | undefined, path: string): MemberEntry {
  const o = fields(v, path, ["ed25519PublicKey", "x25519PublicKey", "wrappedDataKey", "keyEpoch"], ["keyBindingSig"]);
  b64(o, path, "ed25519PublicKey", 32);
  b64(o, path, "x25519PublicKey", 32);
  wrappedKey(o["wrappedDataKey"], at(path, "wrappedDataKey"));
  counter(o, path, "keyEpoch");
  if ("keyBindingSig" in o && o["keyBindingSig"] !== null) b64(o, path, "keyBindingSig", 64);
  return o as MemberEntry;
}

export function memberList(v: JsonValue | undefined, path: string): MemberEntry[] {
  typed(v, path, "array");
  return (v as JsonValue[]).map((m, i) => memberEntry(m, `${path}[${i}]`));
}

export function envelope(v: JsonValue | undefined, path: string): Envelope {
  const o = fields(v, path, ["repoId", "payloadVersion", "keyEpoch", "iv", "ciphertext"], []);
  checkRepoId(str(o, path, "repoId"), at(path, "repoId"));
  counter(o, path, "payloadVersion");
  counter(o, path, "keyEpoch");
  b64(o, path, "iv", 12);
  b64(o, path, "ciphertext", { min: 16 });
  return o as Envelope;
}

export function manifest(v: JsonValue | undefined, path: string): Manifest {
  const o = fields(v, path, ["repoId", "schemeId", "keyEpoch", "payloadVersion", "members"], [], true);
  checkRepoId(str(o, path, "repoId"), at(path, "repoId"));
  scheme(o, path);
  counter(o, path, "keyEpoch");
  counter(o, path, "payloadVersion");
  memberList(o["members"], at(path, "members"));
  if ("shareRefreshTokens" in o) typed(o["shareRefreshTokens"], at(path, "shareRefreshTokens"), "boolean");
  return o as Manifest;
}

// --- request bodies ------------------------------------------------------------------------------

export function challengeRequest(body: JsonValue): { key: Buffer } {
  const o = fields(body, "", ["ed25519PublicKey"], []);
  return { key: b64(o, "", "ed25519PublicKey", 32) };
}

export function tokenRequest(body: JsonValue): { key: Buffer; nonce: Buffer; signature: Buffer } {
  const o = fields(body, "", ["ed25519PublicKey", "nonce", "signature"], []);
  const key = b64(o, "", "ed25519PublicKey", 32);
  // Any nonce of at least 32 bytes is well-formed; whether this server issued it is a 401 question.
  const nonce = b64(o, "", "nonce", { min: 32 });
  const signature = b64(o, "", "signature", 64);
  return { key, nonce, signature };
}

export function createRepoRequest(body: JsonValue): { manifest: Manifest; envelope: Envelope } {
  const o = fields(body, "", ["manifest", "initialEnvelope"], []);
  return { manifest: manifest(o["manifest"], "manifest"), envelope: envelope(o["initialEnvelope"], "initialEnvelope") };
}

export function pullRequest(body: JsonValue): { repoId: string; known: number } {
  const o = fields(body, "", ["repoId", "knownPayloadVersion"], []);
  const repoId = str(o, "", "repoId");
  checkRepoId(repoId, "repoId");
  return { repoId, known: counter(o, "", "knownPayloadVersion") };
}

export function pushRequest(body: JsonValue): {
  repoId: string;
  envelope: Envelope;
  expected: number;
  rotatedMembers: MemberEntry[] | null;
} {
  const o = fields(body, "", ["repoId", "envelope", "expectedPayloadVersion"], ["rotatedMembers"]);
  const repoId = str(o, "", "repoId");
  checkRepoId(repoId, "repoId");
  const rotated = o["rotatedMembers"];
  return {
    repoId,
    envelope: envelope(o["envelope"], "envelope"),
    expected: counter(o, "", "expectedPayloadVersion"),
    rotatedMembers: rotated === undefined || rotated === null ? null : memberList(rotated, "rotatedMembers"),
  };
}

export function addMemberRequest(body: JsonValue): { repoId: string; member: MemberEntry } {
  const o = fields(body, "", ["repoId", "member"], []);
  const repoId = str(o, "", "repoId");
  checkRepoId(repoId, "repoId");
  return { repoId, member: memberEntry(o["member"], "member") };
}

export function removeMemberRequest(body: JsonValue): {
  repoId: string;
  removedMemberId: string;
  envelope: Envelope;
  members: MemberEntry[];
  newKeyEpoch: number;
} {
  const o = fields(body, "", ["repoId", "removedMemberId", "rotatedEnvelope", "rewrappedMembers", "newKeyEpoch"], []);
  const repoId = str(o, "", "repoId");
  checkRepoId(repoId, "repoId");
  b64(o, "", "removedMemberId", 32);
  return {
    repoId,
    removedMemberId: o["removedMemberId"] as string,
    envelope: envelope(o["rotatedEnvelope"], "rotatedEnvelope"),
    members: memberList(o["rewrappedMembers"], "rewrappedMembers"),
    newKeyEpoch: counter(o, "", "newKeyEpoch"),
  };
}

export function keyBindingRequest(body: JsonValue): { x25519: Buffer; x25519B64: string } {
  const o = fields(body, "", ["x25519PublicKey"], []);
  return { x25519: b64(o, "", "x25519PublicKey", 32), x25519B64: o["x25519PublicKey"] as string };
}
