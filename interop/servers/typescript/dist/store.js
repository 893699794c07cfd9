"use strict";
// Repository state behind the vault routes: in memory, or durable in SQLite (sqlitestore.ts).
//
// Durability is a group commit. A write goes into the backend's open transaction and stamps the
// repository with a new generation; a request notes the newest generation it read or wrote and is
// answered only once that generation is committed. The commit runs once per event-loop turn, so the
// writes that arrived together share one fsync, no answer — a 200 or a read — ever shows a state a
// crash could lose, and a read of an untouched repository never waits. Node runs each request's
// check-then-write synchronously, so every write is an atomic compare-and-set.
Object.defineProperty(exports, "__esModule", { value: true });
exports.Store = void 0;
const errors_1 = require("./errors");
const json_1 = require("./json");
// Parsed repositories kept in memory by a durable store; the rest is read back on demand.
const CACHE_MAX_BYTES = 64 * 1024 * 1024;
// The stored texts nest bodies no deeper than a request did.
const STORED_MAX_DEPTH = 64;
const NONCE_SWEEP_MS = 60_000;
class Store {
    signingSeed;
    backend;
    onFatal;
    /** repoId -> serialized size: every repository, and so also their count and total bytes. */
    sizes = new Map();
    totalBytes = 0;
    memberEntries = 0;
    /** member id -> number of repositories whose roster holds it (quotas and the global member bound). */
    membership = new Map();
    /** All repositories (in memory) or the recently used ones (durable), in least-recently-used order. */
    cache = new Map();
    cachedBytes = 0;
    usedNonces = new Map();
    nextNonceSweepMs = 0;
    generation = 0;
    durableGeneration = 0;
    /** repoId -> generation of its last uncommitted write. */
    written = new Map();
    observed = 0;
    waiters = [];
    commitScheduled = false;
    constructor(signingSeed, backend, onFatal) {
        this.signingSeed = signingSeed;
        this.backend = backend;
        this.onFatal = onFatal;
    }
    static inMemory(signingSeed) {
        return new Store(signingSeed, null, () => undefined);
    }
    /**
     * A durable store over `backend`. `onFatal` runs when a commit fails: what was answered from the
     * open transaction is then lost, so the caller should stop the process (a restart reloads).
     */
    static durable(backend, onFatal = () => undefined) {
        const store = new Store(backend.signingSeed, backend, onFatal);
        backend.scan((id, bytes, members) => store.count(id, bytes, [], members));
        return store;
    }
    get isDurable() {
        return this.backend !== null;
    }
    get(repoId) {
        this.observed = Math.max(this.observed, this.written.get(repoId) ?? 0);
        const hit = this.cache.get(repoId);
        if (hit !== undefined) {
            this.cache.delete(repoId);
            this.cache.set(repoId, hit);
            return hit.repo;
        }
        const stored = this.sizes.has(repoId) ? this.backend?.read(repoId) : undefined;
        if (stored === undefined)
            return undefined;
        const repo = {
            manifest: (0, json_1.parseJson)(stored.manifest, STORED_MAX_DEPTH),
            envelope: (0, json_1.parseJson)(stored.envelope, STORED_MAX_DEPTH),
        };
        this.remember(repoId, repo, this.sizes.get(repoId) ?? 0);
        return repo;
    }
    reposOf(memberId) {
        return this.membership.get(memberId) ?? 0;
    }
    /** Repositories, member entries (summed over rosters) and serialized bytes over the whole store. */
    totals() {
        return { repos: this.sizes.size, memberEntries: this.memberEntries, bytes: this.totalBytes };
    }
    /**
     * Make `repo` the state of `repoId` (visible at once; durable once `durable()` resolves), unless
     * that would take the store past `bounds` (507 storage_full, nothing written).
     */
    put(repoId, repo, bounds) {
        // Stored states are replaced, never edited (vault.ts builds new objects for every write).
        (0, json_1.freeze)(repo.manifest);
        (0, json_1.freeze)(repo.envelope);
        const members = repo.manifest.members.map((m) => m.ed25519PublicKey);
        const manifestText = (0, json_1.stringify)(repo.manifest);
        const envelopeText = (0, json_1.stringify)(repo.envelope);
        const bytes = Buffer.byteLength(manifestText) + Buffer.byteLength(envelopeText);
        const oldMembers = this.get(repoId)?.manifest.members.map((m) => m.ed25519PublicKey) ?? [];
        this.checkBounds(repoId, bytes, oldMembers, members, bounds);
        // The backend before memory: if it refuses, nothing in memory has changed.
        this.backend?.write(repoId, manifestText, envelopeText, members);
        this.count(repoId, bytes, oldMembers, members);
        this.remember(repoId, repo, bytes);
        this.stamp(repoId);
    }
    /** Record a successful login's nonce until it expires; false when it was used before (a replay). */
    useNonce(id, expiresAtMs, nowMs) {
        if (nowMs >= this.nextNonceSweepMs)
            this.sweepNonces(nowMs);
        if (this.backend !== null) {
            if (!this.backend.useNonce(id, expiresAtMs))
                return false;
            this.stamp(null);
            return true;
        }
        const key = id.toString("hex");
        if (this.usedNonces.has(key))
            return false;
        this.usedNonces.set(key, expiresAtMs);
        return true;
    }
    sweepNonces(nowMs) {
        this.nextNonceSweepMs = nowMs + NONCE_SWEEP_MS;
        if (this.backend !== null) {
            this.backend.sweepNonces(nowMs);
            this.stamp(null);
        }
        for (const [k, expires] of this.usedNonces)
            if (nowMs >= expires)
                this.usedNonces.delete(k);
    }
    /** Start noting what one request's (synchronous) handler reads and writes. */
    startObserving() {
        this.observed = 0;
    }
    observedGeneration() {
        return this.observed;
    }
    /** Null when `generation` is already committed; else a promise that it is. */
    durable(generation = this.generation) {
        if (this.durableGeneration >= generation)
            return null;
        const done = new Promise((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
        if (!this.commitScheduled) {
            this.commitScheduled = true;
            // After the requests already parsed in this turn have joined the transaction.
            setImmediate(() => this.commit());
        }
        return done;
    }
    close() {
        if (this.backend === null)
            return;
        this.commit();
        this.backend.close();
    }
    commit() {
        this.commitScheduled = false;
        if (this.backend === null || this.durableGeneration >= this.generation)
            return;
        const waiting = this.waiters;
        this.waiters = [];
        try {
            this.backend.commit();
        }
        catch (e) {
            // What the waiters saw may be lost: they fail (500), and the process should stop.
            for (const w of waiting)
                w.reject(e);
            this.onFatal(e);
            return;
        }
        this.durableGeneration = this.generation;
        this.written.clear();
        for (const w of waiting)
            w.resolve();
    }
    stamp(repoId) {
        if (this.backend === null)
            return;
        this.generation++;
        if (repoId !== null)
            this.written.set(repoId, this.generation);
        this.observed = this.generation;
    }
    checkBounds(repoId, bytes, oldMembers, members, bounds) {
        const full = (what) => new errors_1.HttpError("storage_full", `the server holds as many ${what} as it may`);
        if (!this.sizes.has(repoId) && this.sizes.size >= bounds.maxRepos)
            throw full("repositories");
        const added = members.length - oldMembers.length;
        if (added > 0 && this.memberEntries + added > bounds.maxMemberEntries)
            throw full("member entries");
        const growth = bytes - (this.sizes.get(repoId) ?? 0);
        if (growth > 0 && this.totalBytes + growth > bounds.maxStoredBytes)
            throw full("bytes");
    }
    count(repoId, bytes, oldMembers, members) {
        this.totalBytes += bytes - (this.sizes.get(repoId) ?? 0);
        this.sizes.set(repoId, bytes);
        this.memberEntries += members.length - oldMembers.length;
        for (const m of oldMembers) {
            const n = (this.membership.get(m) ?? 1) - 1;
            if (n === 0)
                this.membership.delete(m);
            else
                this.membership.set(m, n);
        }
        for (const m of members)
            this.membership.set(m, (this.membership.get(m) ?? 0) + 1);
    }
    remember(repoId, repo, bytes) {
        const old = this.cache.get(repoId);
        if (old !== undefined) {
            this.cache.delete(repoId);
            this.cachedBytes -= old.bytes;
        }
        this.cache.set(repoId, { repo, bytes });
        this.cachedBytes += bytes;
        if (this.backend === null)
            return;
        for (const [id, entry] of this.cache) {
            if (this.cachedBytes <= CACHE_MAX_BYTES)
                break;
            this.cache.delete(id);
            this.cachedBytes -= entry.bytes;
        }
    }
}
exports.Store = Store;
