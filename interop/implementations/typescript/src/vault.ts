// The vault routes' semantics (wire contract §5, steps 8-10 of the order of checks): what each
// accepted request does to a repository, and every rule that makes a request rejected instead.
// Each handler checks everything first and then commits once, so a rejected request changes nothing.

import { HttpError, badRequest } from "./errors";
import type { JsonObject } from "./json";
import type { Envelope, Manifest, MemberEntry } from "./schema";
import type { Bounds, Repo, Store } from "./store";

export interface Limits extends Bounds {
  maxReposPerMember: number;
  maxMembersPerRepo: number;
}

const quota = (message: string): HttpError => new HttpError("quota_exceeded", message, undefined, { "Retry-After": "60" });

/** A copy of the manifest (key order and unknown fields kept) with new counters and roster. */
function withState(m: Manifest, payloadVersion: number, keyEpoch: number, members: MemberEntry[]): Manifest {
  const out = Object.create(null) as JsonObject;
  for (const k of Object.keys(m)) out[k] = m[k] as JsonObject[string];
  out["payloadVersion"] = payloadVersion;
  out["keyEpoch"] = keyEpoch;
  out["members"] = members;
  return out as Manifest;
}

function loadRepo(store: Store, repoId: string, caller: string): Repo {
  const repo = store.get(repoId);
  if (repo === undefined) throw new HttpError("not_found", "no such repository");
  if (!repo.manifest.members.some((m) => m.ed25519PublicKey === caller)) {
    throw new HttpError("forbidden", "caller is not a member of this repository");
  }
  return repo;
}

function ids(members: MemberEntry[]): Set<string> {
  return new Set(members.map((m) => m.ed25519PublicKey));
}

/**
 * `mayCreate` is asked last, after every other rule passed: it spends the caller's address's
 * creation allowance and throws (429 rate_limited) when there is none left.
 */
export function createRepo(store: Store, limits: Limits, caller: string, manifest: Manifest, envelope: Envelope, mayCreate: () => void): Manifest {
  const members = manifest.members;
  if (members.length !== 1 || members[0]?.ed25519PublicKey !== caller) {
    throw new HttpError("forbidden", "the new repository's sole member must be the caller");
  }
  if (manifest.repoId !== envelope.repoId) {
    throw badRequest("repoId mismatch", "manifest.repoId and initialEnvelope.repoId differ");
  }
  const only = members[0];
  if (manifest.payloadVersion !== 1 || manifest.keyEpoch !== 0 || envelope.payloadVersion !== 1 || envelope.keyEpoch !== 0 || only.keyEpoch !== 0) {
    throw badRequest("a new repository starts at payloadVersion 1, keyEpoch 0");
  }
  if (store.get(manifest.repoId) !== undefined) throw new HttpError("duplicate_repo", "repository already exists");
  if (store.reposOf(caller) >= limits.maxReposPerMember) throw quota("too many repositories for this member");
  mayCreate();
  store.put(manifest.repoId, { manifest, envelope }, limits);
  return manifest;
}

export function pull(store: Store, caller: string, repoId: string, known: number): JsonObject {
  const repo = loadRepo(store, repoId, caller);
  if (known === repo.manifest.payloadVersion) return { manifest: repo.manifest, unchanged: true };
  return { manifest: repo.manifest, envelope: repo.envelope, unchanged: false };
}

export function push(
  store: Store,
  limits: Limits,
  caller: string,
  repoId: string,
  envelope: Envelope,
  expected: number,
  rotated: MemberEntry[] | null,
): JsonObject {
  const repo = loadRepo(store, repoId, caller);
  const m = repo.manifest;
  if (expected !== m.payloadVersion) {
    return { accepted: false, payloadVersion: m.payloadVersion, keyEpoch: m.keyEpoch, conflict: true };
  }
  if (envelope.repoId !== repoId) throw badRequest("envelope.repoId does not name this repository");
  if (envelope.payloadVersion !== expected + 1) throw badRequest("envelope.payloadVersion must be expectedPayloadVersion + 1");
  if (envelope.keyEpoch < m.keyEpoch) throw badRequest("envelope.keyEpoch may not go down");
  let members = m.members;
  if (rotated === null) {
    if (envelope.keyEpoch !== m.keyEpoch) throw badRequest("changing keyEpoch needs rotatedMembers");
  } else {
    if (rotated.length === 0) throw badRequest("rotatedMembers may not be empty");
    const next = ids(rotated);
    if (next.size !== rotated.length) throw badRequest("rotatedMembers lists a member twice");
    if (!next.has(caller)) throw badRequest("rotatedMembers must contain the caller");
    if (rotated.some((e) => e.keyEpoch !== envelope.keyEpoch)) throw badRequest("every rotated member must be at envelope.keyEpoch");
    const drops = m.members.some((e) => !next.has(e.ed25519PublicKey));
    if (drops && envelope.keyEpoch <= m.keyEpoch) throw badRequest("a roster that drops a member must raise keyEpoch");
    if (rotated.length > limits.maxMembersPerRepo) throw quota("too many members");
    members = rotated;
  }
  store.put(repoId, { manifest: withState(m, envelope.payloadVersion, envelope.keyEpoch, members), envelope }, limits);
  return { accepted: true, payloadVersion: envelope.payloadVersion, keyEpoch: envelope.keyEpoch, conflict: false };
}

export function addMember(store: Store, limits: Limits, caller: string, repoId: string, member: MemberEntry): Manifest {
  const repo = loadRepo(store, repoId, caller);
  const m = repo.manifest;
  // Idempotence first: re-adding the same keys is a 200 even after the epoch has moved on.
  const existing = m.members.find((e) => e.ed25519PublicKey === member.ed25519PublicKey);
  if (existing !== undefined) {
    if (existing.x25519PublicKey === member.x25519PublicKey) return m;
    throw new HttpError("duplicate_member", "member already present with a different X25519 key");
  }
  if (member.keyEpoch !== m.keyEpoch) throw badRequest("member.keyEpoch must be the current keyEpoch");
  if (m.members.length >= limits.maxMembersPerRepo) throw quota("too many members");
  const next = withState(m, m.payloadVersion, m.keyEpoch, [...m.members, member]);
  store.put(repoId, { manifest: next, envelope: repo.envelope }, limits);
  return next;
}

export function removeMember(
  store: Store,
  limits: Limits,
  caller: string,
  repoId: string,
  removedId: string,
  envelope: Envelope,
  rewrapped: MemberEntry[],
  newKeyEpoch: number,
): Manifest {
  const repo = loadRepo(store, repoId, caller);
  const m = repo.manifest;
  if (!m.members.some((e) => e.ed25519PublicKey === removedId)) throw new HttpError("not_found", "no such member");
  if (envelope.payloadVersion <= m.payloadVersion) {
    throw new HttpError("version_conflict", "removal computed against a stale payload version; pull and retry");
  }
  if (envelope.payloadVersion !== m.payloadVersion + 1) throw badRequest("rotatedEnvelope.payloadVersion must be current + 1");
  if (envelope.repoId !== repoId) throw badRequest("rotatedEnvelope.repoId does not name this repository");
  if (newKeyEpoch <= m.keyEpoch) throw badRequest("newKeyEpoch must be above the current keyEpoch");
  if (envelope.keyEpoch !== newKeyEpoch) throw badRequest("rotatedEnvelope.keyEpoch must equal newKeyEpoch");
  const remaining = m.members.filter((e) => e.ed25519PublicKey !== removedId);
  if (remaining.length === 0) throw badRequest("the roster may not become empty");
  const x25519Of = new Map(remaining.map((e) => [e.ed25519PublicKey, e.x25519PublicKey]));
  const seen = new Set<string>();
  for (const e of rewrapped) {
    if (x25519Of.get(e.ed25519PublicKey) !== e.x25519PublicKey || seen.has(e.ed25519PublicKey)) {
      throw badRequest("rewrappedMembers must be exactly the current roster minus the removed member");
    }
    seen.add(e.ed25519PublicKey);
    if (e.keyEpoch !== newKeyEpoch) throw badRequest("every rewrapped member must be at newKeyEpoch");
  }
  if (seen.size !== remaining.length) throw badRequest("rewrappedMembers must be exactly the current roster minus the removed member");
  const next = withState(m, envelope.payloadVersion, newKeyEpoch, rewrapped);
  store.put(repoId, { manifest: next, envelope }, limits);
  return next;
}

export function fetchMember(store: Store, caller: string, repoId: string, memberId: string): MemberEntry {
  const repo = loadRepo(store, repoId, caller);
  const entry = repo.manifest.members.find((e) => e.ed25519PublicKey === memberId);
  if (entry === undefined) throw new HttpError("not_found", "no such member");
  return entry;
}
