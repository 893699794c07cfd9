// The signed-writes extension for the actor (docs/extensions/signed-writes.md): sign each write's
// payload body, verify each served state against what this actor accepted before.
//
// Codes: write_unauthenticated, roster_unauthenticated, downgrade_detected, fork_detected.

import { createHash } from "node:crypto";
import { decodeStd, encodeStd } from "./b64";
import { ClientError } from "./clienterror";
import { verifyStrict } from "./ed25519";
import { Identity } from "./identity";

export type SignedWriteCode = "write_unauthenticated" | "roster_unauthenticated" | "downgrade_detected" | "fork_detected";
export type UnsignedPolicy = "refuse" | "report";

export interface RosterMember {
  ed25519PublicKey: string;
  x25519PublicKey: string;
}

/** A signed state as evidence (the SDK's field names): enough to re-verify it without the plaintext. */
export interface SignedState {
  repoId: string;
  payloadVersion: number;
  keyEpoch: number;
  writer: string;
  rosterHash: string;
  prev: string;
  signature: string;
  contentHash: string;
  stateHash: string;
}

/** The first signed state (by another member) that listed this actor, and that roster. */
export interface Admission {
  state: SignedState;
  members: RosterMember[];
}

/** The signed states one actor accepted for one repository (by version). */
export type Ledger = Map<number, SignedState>;

export const MANIFEST_MARK = "signedWrites";
/** The payload-body member carrying the writer's admission. */
export const ADMISSION = "signedWriteAdmission";
const MARK = '{"signedWrite":';
const RECORD = /^\{"signedWrite":\{"v":1,"writer":"([^"]{44})","roster":"([^"]{44})","prev":"([^"]{44})","signature":"([^"]{88})"\},(?=")/;
const GENESIS = Buffer.alloc(32);

const fail = (code: SignedWriteCode, message: string): ClientError => new ClientError(code, message);
const sha256 = (data: Uint8Array): Buffer => createHash("sha256").update(data).digest();

function lp(field: Uint8Array): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(field.length);
  return Buffer.concat([length, field]);
}

function u64(value: number): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(value));
  return out;
}

function raw32(b64: string): Buffer {
  const out = decodeStd(b64);
  if (out === null || out.length !== 32) throw new ClientError("invalid_encoding", "a roster key is not a base64 32-byte key");
  return out;
}

export function rosterHash(members: RosterMember[]): Buffer {
  const pairs = members.map((m) => Buffer.concat([raw32(m.ed25519PublicKey), raw32(m.x25519PublicKey)])).sort(Buffer.compare);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(pairs.length);
  return sha256(Buffer.concat([lp(Buffer.from("avp/signed-write/roster/v1")), count, ...pairs]));
}

function transcript(repoId: string, version: number, epoch: number, body: Buffer, roster: Buffer, prev: Buffer, writer: Buffer): Buffer {
  const fields = [Buffer.from("avp/signed-write/v1"), Buffer.from(repoId, "utf8"), u64(version), u64(epoch), sha256(body), roster, prev, writer];
  return Buffer.concat(fields.map(lp));
}

/** The plaintext to encrypt for `body` (compact JSON starting `{"`), and the state it makes. */
export function signWrite(
  identity: Identity,
  repoId: string,
  version: number,
  epoch: number,
  body: Buffer,
  members: RosterMember[],
  prev: SignedState | undefined,
): { plaintext: Buffer; state: SignedState } {
  const roster = rosterHash(members);
  const prevHash = prev === undefined ? GENESIS : raw32(prev.stateHash);
  const t = transcript(repoId, version, epoch, body, roster, prevHash, identity.ed25519Public);
  const state = evidence(repoId, version, epoch, identity.ed25519Public, roster, prevHash, identity.sign(t), body, t);
  const record = `{"signedWrite":{"v":1,"writer":"${state.writer}","roster":"${state.rosterHash}","prev":"${state.prev}","signature":"${state.signature}"},`;
  return { plaintext: Buffer.concat([Buffer.from(record), body.subarray(1)]), state };
}

function evidence(repoId: string, version: number, epoch: number, writer: Buffer, roster: Buffer, prev: Buffer, signature: Buffer, body: Buffer, t: Buffer): SignedState {
  const b = encodeStd;
  return { repoId, payloadVersion: version, keyEpoch: epoch, writer: b(writer), rosterHash: b(roster), prev: b(prev), signature: b(signature), contentHash: b(sha256(body)), stateHash: b(sha256(t)) };
}

/** `body` with the writer's admission as its last member (compact JSON). */
export function withAdmission(body: Buffer, admission: Admission | undefined): Buffer {
  if (admission === undefined) return body;
  return Buffer.concat([body.subarray(0, body.length - 1), Buffer.from(`,"${ADMISSION}":${JSON.stringify(admission)}}`)]);
}

/** Whether `body` carries a verifying admission of `writer` signed by a member of `previous`. */
function admitted(repoId: string, writer: string, previous: string[], body: Buffer): boolean {
  try {
    const a = JSON.parse(body.toString("utf8"))?.[ADMISSION] as Admission | undefined;
    if (a === undefined || a.state.repoId !== repoId || !previous.includes(a.state.writer)) return false;
    if (!a.members.some((m) => m.ed25519PublicKey === writer) || encodeStd(rosterHash(a.members)) !== a.state.rosterHash) return false;
    const s = a.state;
    const fields = [Buffer.from("avp/signed-write/v1"), Buffer.from(s.repoId, "utf8"), u64(s.payloadVersion), u64(s.keyEpoch), raw32(s.contentHash), raw32(s.rosterHash), raw32(s.prev), raw32(s.writer)];
    const t = Buffer.concat(fields.map(lp));
    const signature = decodeStd(s.signature);
    return signature !== null && encodeStd(sha256(t)) === s.stateHash && verifyStrict(raw32(s.writer), t, signature);
  } catch {
    return false;
  }
}

/** Split and verify a decrypted plaintext: null when unsigned, else the state and the body. */
function verifyRecord(repoId: string, version: number, epoch: number, plaintext: Buffer): { state: SignedState; body: Buffer } | null {
  const text = plaintext.toString("latin1"); // byte offsets
  if (!text.startsWith(MARK)) return null;
  const match = RECORD.exec(text);
  const field = (i: number, length: number): Buffer => {
    const out = decodeStd(match?.[i] ?? "");
    if (out === null || out.length !== length) throw fail("write_unauthenticated", "the signed-write record is malformed");
    return out;
  };
  const [writer, roster, prev, signature] = [field(1, 32), field(2, 32), field(3, 32), field(4, 64)];
  const body = Buffer.concat([Buffer.from("{"), plaintext.subarray((match as RegExpExecArray)[0].length)]);
  const t = transcript(repoId, version, epoch, body, roster, prev, writer);
  if (!verifyStrict(writer, t, signature)) throw fail("write_unauthenticated", "the write's signature does not verify");
  return { state: evidence(repoId, version, epoch, writer, roster, prev, signature, body, t), body };
}

export interface ServedState {
  repoId: string;
  payloadVersion: number;
  keyEpoch: number;
  members: RosterMember[];
  marked: boolean;
}

/**
 * Check a served state (the document's order: signature, roster, writer, chain). `previous` is the
 * roster this actor last accepted (undefined on first contact). Returns the payload body to parse.
 */
export function checkServed(
  ledger: Ledger,
  previous: RosterMember[] | undefined,
  served: ServedState,
  plaintext: Buffer,
  policy: UnsignedPolicy,
  report: (message: string) => void,
): Buffer {
  const unsigned = (code: SignedWriteCode, message: string): void => {
    if (policy === "refuse") throw fail(code, message);
    report(`accepted under the 'report' policy: ${message}`);
  };
  const verified = verifyRecord(served.repoId, served.payloadVersion, served.keyEpoch, plaintext);
  if (verified === null) {
    if (ledger.size > 0 || served.marked) unsigned("downgrade_detected", `version ${served.payloadVersion} is not signed, in a repository seen signed`);
    return plaintext;
  }
  const { state, body } = verified;
  checkRoster(state, served.members, unsigned);
  const ids = (ms: RosterMember[]): string[] => ms.map((m) => m.ed25519PublicKey).sort();
  const allowed = ids(previous ?? served.members);
  // A member added in a version this actor did not see carries its admission.
  if (!allowed.includes(state.writer) && !(previous !== undefined && admitted(served.repoId, state.writer, allowed, body))) {
    const changed = previous !== undefined && allowed.join() !== ids(served.members).join();
    // A roster change nobody signed (e.g. an add by a client that does not sign) is an unsigned
    // roster change: 'report' accepts it, but the writer must at least be a served member.
    if (!changed || !served.members.some((m) => m.ed25519PublicKey === state.writer)) {
      throw changed
        ? fail("roster_unauthenticated", "the roster changed in a write not signed by a member of the previous roster")
        : fail("write_unauthenticated", "the write is signed by a key that is not a member");
    }
    unsigned("roster_unauthenticated", "the roster changed in a write not signed by a member of the previous roster");
  }
  const held = ledger.get(served.payloadVersion);
  if (held !== undefined && held.stateHash !== state.stateHash) throw fail("fork_detected", `two signed states for version ${served.payloadVersion}`);
  const before = ledger.get(served.payloadVersion - 1);
  if (before !== undefined && before.stateHash !== state.prev) throw fail("fork_detected", `version ${served.payloadVersion} does not follow the version held`);
  ledger.set(served.payloadVersion, state);
  return body;
}

/** The served roster must be the signed one (an "unchanged" pull checks only this). */
export function checkRoster(state: SignedState, members: RosterMember[], unsigned: (code: SignedWriteCode, message: string) => void): void {
  if (encodeStd(rosterHash(members)) !== state.rosterHash) unsigned("roster_unauthenticated", "the served roster is not the one the last write was signed with");
}
