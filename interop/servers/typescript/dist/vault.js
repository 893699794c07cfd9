"use strict";
// The vault routes' semantics (wire contract §5, steps 8-10 of the order of checks): what each
// accepted request does to a repository, and every rule that makes a request rejected instead.
// Each handler checks everything first and then commits once, so a rejected request changes nothing.
Object.defineProperty(exports, "__esModule", { value: true });
exports.createRepo = createRepo;
exports.pull = pull;
exports.push = push;
exports.addMember = addMember;
exports.removeMember = removeMember;
exports.fetchMember = fetchMember;
const errors_1 = require("./errors");
const quota = (message) => new errors_1.HttpError("quota_exceeded", message, undefined, { "Retry-After": "60" });
/** A copy of the manifest (key order and unknown fields kept) with new counters and roster. */
function withState(m, payloadVersion, keyEpoch, members) {
    const out = Object.create(null);
    for (const k of Object.keys(m))
        out[k] = m[k];
    out["payloadVersion"] = payloadVersion;
    out["keyEpoch"] = keyEpoch;
    out["members"] = members;
    return out;
}
function loadRepo(store, repoId, caller) {
    const repo = store.get(repoId);
    if (repo === undefined)
        throw new errors_1.HttpError("not_found", "no such repository");
    if (!repo.manifest.members.some((m) => m.ed25519PublicKey === caller)) {
        throw new errors_1.HttpError("forbidden", "caller is not a member of this repository");
    }
    return repo;
}
function ids(members) {
    return new Set(members.map((m) => m.ed25519PublicKey));
}
/**
 * `mayCreate` is asked last, after every other rule passed: it spends the caller's address's
 * creation allowance and throws (429 rate_limited) when there is none left.
 */
function createRepo(store, limits, caller, manifest, envelope, mayCreate) {
    const members = manifest.members;
    if (members.length !== 1 || members[0]?.ed25519PublicKey !== caller) {
        throw new errors_1.HttpError("forbidden", "the new repository's sole member must be the caller");
    }
    if (manifest.repoId !== envelope.repoId) {
        throw (0, errors_1.badRequest)("repoId mismatch", "manifest.repoId and initialEnvelope.repoId differ");
    }
    const only = members[0];
    if (manifest.payloadVersion !== 1 || manifest.keyEpoch !== 0 || envelope.payloadVersion !== 1 || envelope.keyEpoch !== 0 || only.keyEpoch !== 0) {
        throw (0, errors_1.badRequest)("a new repository starts at payloadVersion 1, keyEpoch 0");
    }
    if (store.get(manifest.repoId) !== undefined)
        throw new errors_1.HttpError("duplicate_repo", "repository already exists");
    if (store.reposOf(caller) >= limits.maxReposPerMember)
        throw quota("too many repositories for this member");
    mayCreate();
    store.put(manifest.repoId, { manifest, envelope }, limits);
    return manifest;
}
function pull(store, caller, repoId, known) {
    const repo = loadRepo(store, repoId, caller);
    if (known === repo.manifest.payloadVersion)
        return { manifest: repo.manifest, unchanged: true };
    return { manifest: repo.manifest, envelope: repo.envelope, unchanged: false };
}
function push(store, limits, caller, repoId, envelope, expected, rotated) {
    const repo = loadRepo(store, repoId, caller);
    const m = repo.manifest;
    if (expected !== m.payloadVersion) {
        return { accepted: false, payloadVersion: m.payloadVersion, keyEpoch: m.keyEpoch, conflict: true };
    }
    if (envelope.repoId !== repoId)
        throw (0, errors_1.badRequest)("envelope.repoId does not name this repository");
    if (envelope.payloadVersion !== expected + 1)
        throw (0, errors_1.badRequest)("envelope.payloadVersion must be expectedPayloadVersion + 1");
    if (envelope.keyEpoch < m.keyEpoch)
        throw (0, errors_1.badRequest)("envelope.keyEpoch may not go down");
    let members = m.members;
    if (rotated === null) {
        if (envelope.keyEpoch !== m.keyEpoch)
            throw (0, errors_1.badRequest)("changing keyEpoch needs rotatedMembers");
    }
    else {
        if (rotated.length === 0)
            throw (0, errors_1.badRequest)("rotatedMembers may not be empty");
        const next = ids(rotated);
        if (next.size !== rotated.length)
            throw (0, errors_1.badRequest)("rotatedMembers lists a member twice");
        if (!next.has(caller))
            throw (0, errors_1.badRequest)("rotatedMembers must contain the caller");
        if (rotated.some((e) => e.keyEpoch !== envelope.keyEpoch))
            throw (0, errors_1.badRequest)("every rotated member must be at envelope.keyEpoch");
        const drops = m.members.some((e) => !next.has(e.ed25519PublicKey));
        if (drops && envelope.keyEpoch <= m.keyEpoch)
            throw (0, errors_1.badRequest)("a roster that drops a member must raise keyEpoch");
        if (rotated.length > limits.maxMembersPerRepo)
            throw quota("too many members");
        members = rotated;
    }
    store.put(repoId, { manifest: withState(m, envelope.payloadVersion, envelope.keyEpoch, members), envelope }, limits);
    return { accepted: true, payloadVersion: envelope.payloadVersion, keyEpoch: envelope.keyEpoch, conflict: false };
}
function addMember(store, limits, caller, repoId, member) {
    const repo = loadRepo(store, repoId, caller);
    const m = repo.manifest;
    // Idempotence first: re-adding the same keys is a 200 even after the epoch has moved on.
    const existing = m.members.find((e) => e.ed25519PublicKey === member.ed25519PublicKey);
    if (existing !== undefined) {
        if (existing.x25519PublicKey === member.x25519PublicKey)
            return m;
        throw new errors_1.HttpError("duplicate_member", "member already present with a different X25519 key");
    }
    if (member.keyEpoch !== m.keyEpoch)
        throw (0, errors_1.badRequest)("member.keyEpoch must be the current keyEpoch");
    if (m.members.length >= limits.maxMembersPerRepo)
        throw quota("too many members");
    const next = withState(m, m.payloadVersion, m.keyEpoch, [...m.members, member]);
    store.put(repoId, { manifest: next, envelope: repo.envelope }, limits);
    return next;
}
function removeMember(store, limits, caller, repoId, removedId, envelope, rewrapped, newKeyEpoch) {
    const repo = loadRepo(store, repoId, caller);
    const m = repo.manifest;
    if (!m.members.some((e) => e.ed25519PublicKey === removedId))
        throw new errors_1.HttpError("not_found", "no such member");
    if (envelope.payloadVersion <= m.payloadVersion) {
        throw new errors_1.HttpError("version_conflict", "removal computed against a stale payload version; pull and retry");
    }
    if (envelope.payloadVersion !== m.payloadVersion + 1)
        throw (0, errors_1.badRequest)("rotatedEnvelope.payloadVersion must be current + 1");
    if (envelope.repoId !== repoId)
        throw (0, errors_1.badRequest)("rotatedEnvelope.repoId does not name this repository");
    if (newKeyEpoch <= m.keyEpoch)
        throw (0, errors_1.badRequest)("newKeyEpoch must be above the current keyEpoch");
    if (envelope.keyEpoch !== newKeyEpoch)
        throw (0, errors_1.badRequest)("rotatedEnvelope.keyEpoch must equal newKeyEpoch");
    const remaining = m.members.filter((e) => e.ed25519PublicKey !== removedId);
    if (remaining.length === 0)
        throw (0, errors_1.badRequest)("the roster may not become empty");
    const x25519Of = new Map(remaining.map((e) => [e.ed25519PublicKey, e.x25519PublicKey]));
    const seen = new Set();
    for (const e of rewrapped) {
        if (x25519Of.get(e.ed25519PublicKey) !== e.x25519PublicKey || seen.has(e.ed25519PublicKey)) {
            throw (0, errors_1.badRequest)("rewrappedMembers must be exactly the current roster minus the removed member");
        }
        seen.add(e.ed25519PublicKey);
        if (e.keyEpoch !== newKeyEpoch)
            throw (0, errors_1.badRequest)("every rewrapped member must be at newKeyEpoch");
    }
    if (seen.size !== remaining.length)
        throw (0, errors_1.badRequest)("rewrappedMembers must be exactly the current roster minus the removed member");
    const next = withState(m, envelope.payloadVersion, newKeyEpoch, rewrapped);
    store.put(repoId, { manifest: next, envelope }, limits);
    return next;
}
function fetchMember(store, caller, repoId, memberId) {
    const repo = loadRepo(store, repoId, caller);
    const entry = repo.manifest.members.find((e) => e.ed25519PublicKey === memberId);
    if (entry === undefined)
        throw new errors_1.HttpError("not_found", "no such member");
    return entry;
}
