"use strict";
// Repository state: in memory, optionally made durable in one JSON file.
//
// Durability is a group commit. A write changes memory at once (Node runs each request's
// check-then-write synchronously, so it is an atomic compare-and-set) and stamps the repository
// with a new generation. A request notes the newest generation it read or wrote, and is answered
// only once that generation is on disk: one writer snapshots the whole state to a temp file,
// fsyncs it, renames it over the file and fsyncs the directory, then releases every request up to
// that generation. So no answer — a 200 or a read — ever shows a state a crash could lose,
// concurrent writes share one fsync, and a read of an untouched repository never waits.
Object.defineProperty(exports, "__esModule", { value: true });
exports.Store = exports.StateFileError = void 0;
const node_fs_1 = require("node:fs");
const promises_1 = require("node:fs/promises");
const node_path_1 = require("node:path");
const b64_1 = require("./b64");
const json_1 = require("./json");
const FORMAT = "avp-ts-state/1";
// The state file nests bodies two levels deeper than a request; give it room.
const FILE_MAX_DEPTH = 64;
class StateFileError extends Error {
}
exports.StateFileError = StateFileError;
class Store {
    file;
    signingSeed;
    onFatal;
    repos = new Map();
    /** member id -> number of repositories whose roster holds it (the maxReposPerMember quota). */
    membership = new Map();
    generation = 0;
    durableGeneration = 0;
    /** repoId -> generation of its last write (file-backed stores only). */
    written = new Map();
    /** Newest generation read or written since `startObserving`. */
    observed = 0;
    waiters = [];
    flushing = false;
    constructor(file, signingSeed, onFatal) {
        this.file = file;
        this.signingSeed = signingSeed;
        this.onFatal = onFatal;
    }
    static inMemory(signingSeed) {
        return new Store(null, signingSeed, () => undefined);
    }
    /**
     * Open (or create) a durable store; a new file gets `freshSeed` as the server signing key.
     * `onFatal` runs when a write to disk fails: memory is then ahead of the file, so the caller
     * should stop the process (a restart reloads the last durable state).
     */
    static async open(file, freshSeed, onFatal = () => undefined) {
        let text = null;
        try {
            text = (0, node_fs_1.readFileSync)(file, "utf8");
        }
        catch (e) {
            if (e.code !== "ENOENT")
                throw e;
        }
        if (text === null) {
            const store = new Store(file, freshSeed, onFatal);
            await writeAtomic(file, store.snapshot());
            return store;
        }
        let doc;
        try {
            doc = (0, json_1.parseJson)(text, FILE_MAX_DEPTH);
        }
        catch (e) {
            throw new StateFileError(`${file} is not valid JSON: ${e.message}`);
        }
        const seed = (0, json_1.isObject)(doc) && typeof doc["signingKeySeed"] === "string" ? (0, b64_1.decodeStd)(doc["signingKeySeed"]) : null;
        if (!(0, json_1.isObject)(doc) || doc["format"] !== FORMAT || seed === null || seed.length !== 32 || !(0, json_1.isObject)(doc["repos"])) {
            throw new StateFileError(`${file} is not an ${FORMAT} state file`);
        }
        const store = new Store(file, seed, onFatal);
        const repos = doc["repos"];
        for (const id of Object.keys(repos)) {
            const r = repos[id];
            if (!(0, json_1.isObject)(r) || !(0, json_1.isObject)(r["manifest"]) || !(0, json_1.isObject)(r["envelope"])) {
                throw new StateFileError(`${file}: repository entry is malformed`);
            }
            store.install(id, { manifest: r["manifest"], envelope: r["envelope"] });
        }
        return store;
    }
    get(repoId) {
        this.observed = Math.max(this.observed, this.written.get(repoId) ?? 0);
        return this.repos.get(repoId);
    }
    reposOf(memberId) {
        this.observed = this.generation; // counts over every repository
        return this.membership.get(memberId) ?? 0;
    }
    /** Make `repo` the state of `repoId` (visible at once; durable once `durable()` resolves). */
    put(repoId, repo) {
        this.install(repoId, repo);
        if (this.file === null)
            return;
        this.generation++;
        this.written.set(repoId, this.generation);
        this.observed = this.generation;
    }
    /** Start noting what one request's (synchronous) handler reads and writes. */
    startObserving() {
        this.observed = 0;
    }
    /** The newest generation the handler since `startObserving` read or wrote. */
    observedGeneration() {
        return this.observed;
    }
    /** Null when `generation` is already durable; else a promise that it is on disk. */
    durable(generation = this.generation) {
        if (this.durableGeneration >= generation)
            return null;
        const done = new Promise((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
        void this.flush();
        return done;
    }
    async flush() {
        if (this.flushing)
            return;
        this.flushing = true;
        try {
            while (this.durableGeneration < this.generation) {
                const generation = this.generation;
                await writeAtomic(this.file, this.snapshot());
                this.durableGeneration = generation;
                this.waiters = this.waiters.filter((w) => (w.generation <= generation ? (w.resolve(), false) : true));
            }
        }
        catch (e) {
            const waiting = this.waiters;
            this.waiters = [];
            for (const w of waiting)
                w.reject(e);
            this.onFatal(e);
        }
        finally {
            this.flushing = false;
        }
    }
    install(repoId, repo) {
        // Stored states are replaced, never edited (vault.ts builds new objects for every write).
        (0, json_1.freeze)(repo.manifest);
        (0, json_1.freeze)(repo.envelope);
        const old = this.repos.get(repoId);
        for (const m of old?.manifest.members ?? []) {
            const n = (this.membership.get(m.ed25519PublicKey) ?? 1) - 1;
            if (n === 0)
                this.membership.delete(m.ed25519PublicKey);
            else
                this.membership.set(m.ed25519PublicKey, n);
        }
        for (const m of repo.manifest.members) {
            this.membership.set(m.ed25519PublicKey, (this.membership.get(m.ed25519PublicKey) ?? 0) + 1);
        }
        this.repos.set(repoId, repo);
    }
    snapshot() {
        const out = Object.create(null);
        for (const [id, r] of this.repos)
            out[id] = { manifest: r.manifest, envelope: r.envelope };
        return (0, json_1.stringify)({ format: FORMAT, signingKeySeed: (0, b64_1.encodeStd)(this.signingSeed), repos: out });
    }
}
exports.Store = Store;
/** temp file + fsync + rename + fsync of the directory: the file is the old or the new state. */
async function writeAtomic(file, text) {
    const tmp = `${file}.tmp-${process.pid}`;
    const fh = await (0, promises_1.open)(tmp, "w", 0o600);
    try {
        await fh.writeFile(text);
        await fh.sync();
    }
    finally {
        await fh.close();
    }
    await (0, promises_1.rename)(tmp, file);
    const dir = await (0, promises_1.open)((0, node_path_1.dirname)(file), "r");
    try {
        await dir.sync();
    }
    finally {
        await dir.close();
    }
}
