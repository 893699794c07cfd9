// The signed-writes extension (docs/extensions/signed-writes.md), read independently with
// node:crypto: split the record off the plaintext, rebuild the transcript, verify, then the roster,
// writer and chain rules in the document's order.
import { publicKey, signMessage, strictVerify } from "./ed25519";
import { b64, counter, hex, sha256, strictB64 } from "./encoding";
import { expect, Rejected } from "./errors";

type Member = { ed25519PublicKey: string; x25519PublicKey: string };

const RECORD =
  /^\{"signedWrite":\{"v":1,"writer":"([^"]{44})","roster":"([^"]{44})","prev":"([^"]{44})","signature":"([^"]{88})"\},(?=")/;

function lp(field: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(field.length);
  return Buffer.concat([length, field]);
}

function u64(value: unknown): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64BE(BigInt(counter(value)));
  return out;
}

export function rosterHash(members: Member[]): Buffer {
  const pairs = members
    .map((m) => Buffer.concat([strictB64(m.ed25519PublicKey, 32), strictB64(m.x25519PublicKey, 32)]))
    .sort(Buffer.compare);
  const count = Buffer.alloc(4);
  count.writeUInt32BE(pairs.length);
  return sha256(Buffer.concat([lp(Buffer.from("avp/signed-write/roster/v1")), count, ...pairs]));
}

function ids(members: Member[]): string[] {
  return members.map((m) => b64(strictB64(m.ed25519PublicKey, 32))).sort();
}

/** The body's admission of `writer`: a state signed by a `known` member whose roster lists it. */
function admitted(c: any, writer: string, known: string[], body: Buffer): boolean {
  try {
    const { state, members } = JSON.parse(body.toString("utf8")).signedWriteAdmission;
    const admitter = strictB64(state.writer, 32);
    const header = [Buffer.from("avp/signed-write/v1"), Buffer.from(state.repoId, "utf8"), u64(state.payloadVersion), u64(state.keyEpoch)];
    const hashes = ["contentHash", "rosterHash", "prev"].map((k) => strictB64(state[k], 32));
    const transcript = Buffer.concat([...header, ...hashes, admitter].map(lp));
    return (
      state.repoId === c.repoId &&
      known.includes(b64(admitter)) &&
      members.some((m: Member) => m.ed25519PublicKey === writer) &&
      rosterHash(members).equals(strictB64(state.rosterHash, 32)) &&
      sha256(transcript).equals(strictB64(state.stateHash, 32)) &&
      strictVerify(admitter, transcript, strictB64(state.signature, 64))
    );
  } catch {
    return false;
  }
}

interface State {
  writer: Buffer;
  prev: Buffer;
  body: Buffer;
  roster: Buffer;
  transcript: Buffer;
}

function verify(c: any): State | null {
  const plaintext = Buffer.from(c.plaintextUtf8, "utf8");
  const text = plaintext.toString("latin1"); // byte offsets, whatever the body holds
  if (!text.startsWith('{"signedWrite":')) {
    if (c.everSigned) throw new Rejected("downgrade_detected");
    return null;
  }
  const match = RECORD.exec(text);
  if (match === null) throw new Rejected("write_unauthenticated");
  const field = (i: number, length: number): Buffer => {
    try {
      return strictB64(match[i] ?? "", length);
    } catch {
      throw new Rejected("write_unauthenticated");
    }
  };
  const [writer, roster, prev, signature] = [field(1, 32), field(2, 32), field(3, 32), field(4, 64)];
  const body = Buffer.concat([Buffer.from("{"), plaintext.subarray(match[0].length)]);
  const header = [Buffer.from("avp/signed-write/v1"), Buffer.from(c.repoId, "utf8"), u64(c.payloadVersion), u64(c.keyEpoch)];
  const transcript = Buffer.concat([...header, sha256(body), roster, prev, writer].map(lp));
  if (!strictVerify(writer, transcript, signature)) throw new Rejected("write_unauthenticated");
  if (!rosterHash(c.members).equals(roster)) throw new Rejected("roster_unauthenticated");
  const served = ids(c.members);
  const allowed = c.previousMembers === null ? served : ids(c.previousMembers);
  if (!allowed.includes(b64(writer)) && c.previousMembers !== null && admitted(c, b64(writer), allowed, body)) {
    allowed.push(b64(writer)); // added in a version this client did not see
  }
  if (!allowed.includes(b64(writer))) {
    const changed = c.previousMembers !== null && allowed.join() !== served.join();
    throw new Rejected(changed ? "roster_unauthenticated" : "write_unauthenticated");
  }
  if (c.heldPrev !== null && !strictB64(c.heldPrev, 32).equals(prev)) throw new Rejected("fork_detected");
  return { writer, prev, body, roster, transcript };
}

export function checkSignedWrite(c: any): void {
  let state: State | null;
  try {
    state = verify(c);
  } catch (err) {
    if (!(err instanceof Rejected)) throw err;
    expect(c.verdict === "reject" && err.code === c.expectedError, `refused with ${err.code}`);
    return;
  }
  expect(c.verdict === "accept", `accepted; expected ${c.expectedError}`);
  if (state === null) return;
  const seed = hex(c.writerSeedHex);
  expect(publicKey(seed).equals(state.writer) && b64(state.writer) === c.writer, "writer");
  expect(state.body.toString("utf8") === c.bodyUtf8 && b64(state.prev) === c.prev, "body, prev");
  expect(sha256(state.body).toString("hex") === c.contentHashHex, "contentHashHex");
  expect(state.roster.toString("hex") === c.rosterHashHex, "rosterHashHex");
  expect(state.transcript.toString("hex") === c.transcriptHex, "transcriptHex");
  expect(b64(signMessage(seed, state.transcript)) === c.signature, "signature");
  expect(sha256(state.transcript).toString("hex") === c.stateHashHex, "stateHashHex");
}
