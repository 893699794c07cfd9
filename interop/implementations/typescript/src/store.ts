// Repository state behind the vault routes: in memory, or durable in SQLite (sqlitestore.ts).
//
// Durability is a group commit. A write goes into the backend's open transaction and stamps the
// repository with a new generation; a request notes the newest generation it read or wrote and is
// answered only once that generation is committed. The commit runs once per event-loop turn, so the
// writes that arrived together share one fsync, no answer — a 200 or a read — ever shows a state a
// crash could lose, and a read of an untouched repository never waits. Node runs each request's
// check-then-write synchronously, so every write is an atomic compare-and-set.

import { HttpError } from "./errors";
import { freeze, parseJson, stringify } from "./json";
import type { Envelope, Manifest } from "./schema";

export interface Repo {
  manifest: Manifest;
  envelope: Envelope;
}

/** Global bounds over the whole store; a write past one is refused with 507 storage_full. */
export interface Bounds {
  maxRepos: number;
  /** Member entries summed over every roster. */
  maxMemberEntries: number;
  maxStoredBytes: number;
}

/** What a durable store writes through; every call but `commit` joins the open transaction. */
export interface Backend {
  readonly signingSeed: Buffer;
  /** Every repository's id, size in bytes and member ids (at open, to rebuild the counters). */
  scan(visit: (repoId: string, bytes: number, members: string[]) => void): void;
  read(repoId: string): { manifest: string; envelope: string } | undefined;
  write(repoId: string, manifest: string, envelope: string, members: string[]): void;
  /** Record a used login nonce; false when it was already recorded. */
  useNonce(id: Buffer, expiresAtMs: number): boolean;
  sweepNonces(nowMs: number): void;
  commit(): void;
  close(): void;
}

// Parsed repositories kept in memory by a durable store; the rest is read back on demand.
const CACHE_MAX_BYTES = 64 * 1024 * 1024;
// The stored texts nest bodies no deeper than a request did.
const STORED_MAX_DEPTH = 64;
const NONCE_SWEEP_MS = 60_000;

interface Waiter {
  generation: number;
  resolve(): void;
  reject(e: unknown): void;
}

export class Store {
  /** repoId -> serialized size: every repository, and so also their count and total bytes. */
  private readonly sizes = new Map<string, number>();
  private totalBytes = 0;
  private memberEntries = 0;
  /** member id -> number of repositories whose roster holds it (quotas and the global member bound). */
  private readonly membership = new Map<string, number>();
  /** All repositories (in memory) or the recently used ones (durable), in least-recently-used order. */
  private readonly cache = new Map<string, { repo: Repo; bytes: number }>();
  private cachedBytes = 0;
  private readonly usedNonces = new Map<string, number>();
  private nextNonceSweepMs = 0;
  private generation = 0;
  private durableGeneration = 0;
  /** repoId -> generation of its last uncommitted write. */
  private readonly written = new Map<string, number>();
  private observed = 0;
  private waiters: Waiter[] = [];
  private commitScheduled = false;

  private constructor(
    readonly signingSeed: Buffer,
    private readonly backend: Backend | null,
    private readonly onFatal: (e: unknown) => void,
  ) {}

  static inMemory(signingSeed: Buffer): Store {
    return new Store(signingSeed, null, () => undefined);
  }

  /**
   * A durable store over `backend`. `onFatal` runs when a commit fails: what was answered from the
   * open transaction is then lost, so the caller should stop the process (a restart reloads).
   */
  static durable(backend: Backend, onFatal: (e: unknown) => void = () => undefined): Store {
    const store = new Store(backend.signingSeed, backend, onFatal);
    backend.scan((id, bytes, members) => store.count(id, bytes, [], members));
    return store;
  }

  get isDurable(): boolean {
    return this.backend !== null;
  }

  get(repoId: string): Repo | undefined {
    this.observed = Math.max(this.observed, this.written.get(repoId) ?? 0);
    const hit = this.cache.get(repoId);
    if (hit !== undefined) {
      this.cache.delete(repoId);
      this.cache.set(repoId, hit);
      return hit.repo;
    }
    const stored = this.sizes.has(repoId) ? this.backend?.read(repoId) : undefined;
    if (stored === undefined) return undefined;
    const repo = {
      manifest: parseJson(stored.manifest, STORED_MAX_DEPTH) as Manifest,
      envelope: parseJson(stored.envelope, STORED_MAX_DEPTH) as Envelope,
    };
    this.remember(repoId, repo, this.sizes.get(repoId) ?? 0);
    return repo;
  }

  reposOf(memberId: string): number {
    return this.membership.get(memberId) ?? 0;
  }

  /** Repositories, member entries (summed over rosters) and serialized bytes over the whole store. */
  totals(): { repos: number; memberEntries: number; bytes: number } {
    return { repos: this.sizes.size, memberEntries: this.memberEntries, bytes: this.totalBytes };
  }

  /**
   * Make `repo` the state of `repoId` (visible at once; durable once `durable()` resolves), unless
   * that would take the store past `bounds` (507 storage_full, nothing written).
   */
  put(repoId: string, repo: Repo, bounds: Bounds): void {
    // Stored states are replaced, never edited (vault.ts builds new objects for every write).
    freeze(repo.manifest);
    freeze(repo.envelope);
    const members = repo.manifest.members.map((m) => m.ed25519PublicKey);
    const manifestText = stringify(repo.manifest);
    const envelopeText = stringify(repo.envelope);
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
  useNonce(id: Buffer, expiresAtMs: number, nowMs: number): boolean {
    if (nowMs >= this.nextNonceSweepMs) this.sweepNonces(nowMs);
    if (this.backend !== null) {
      if (!this.backend.useNonce(id, expiresAtMs)) return false;
      this.stamp(null);
      return true;
    }
    const key = id.toString("hex");
    if (this.usedNonces.has(key)) return false;
    this.usedNonces.set(key, expiresAtMs);
    return true;
  }

  private sweepNonces(nowMs: number): void {
    this.nextNonceSweepMs = nowMs + NONCE_SWEEP_MS;
    if (this.backend !== null) {
      this.backend.sweepNonces(nowMs);
      this.stamp(null);
    }
    for (const [k, expires] of this.usedNonces) if (nowMs >= expires) this.usedNonces.delete(k);
  }

  /** Start noting what one request's (synchronous) handler reads and writes. */
  startObserving(): void {
    this.observed = 0;
  }

  observedGeneration(): number {
    return this.observed;
  }

  /** Null when `generation` is already committed; else a promise that it is. */
  durable(generation: number = this.generation): Promise<void> | null {
    if (this.durableGeneration >= generation) return null;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
    if (!this.commitScheduled) {
      this.commitScheduled = true;
      // After the requests already parsed in this turn have joined the transaction.
      setImmediate(() => this.commit());
    }
    return done;
  }

  close(): void {
    if (this.backend === null) return;
    this.commit();
    this.backend.close();
  }

  private commit(): void {
    this.commitScheduled = false;
    if (this.backend === null || this.durableGeneration >= this.generation) return;
    const waiting = this.waiters;
    this.waiters = [];
    try {
      this.backend.commit();
    } catch (e) {
      // What the waiters saw may be lost: they fail (500), and the process should stop.
      for (const w of waiting) w.reject(e);
      this.onFatal(e);
      return;
    }
    this.durableGeneration = this.generation;
    this.written.clear();
    for (const w of waiting) w.resolve();
  }

  private stamp(repoId: string | null): void {
    if (this.backend === null) return;
    this.generation++;
    if (repoId !== null) this.written.set(repoId, this.generation);
    this.observed = this.generation;
  }

  private checkBounds(repoId: string, bytes: number, oldMembers: string[], members: string[], bounds: Bounds): void {
    const full = (what: string): HttpError => new HttpError("storage_full", `the server holds as many ${what} as it may`);
    if (!this.sizes.has(repoId) && this.sizes.size >= bounds.maxRepos) throw full("repositories");
    const added = members.length - oldMembers.length;
    if (added > 0 && this.memberEntries + added > bounds.maxMemberEntries) throw full("member entries");
    const growth = bytes - (this.sizes.get(repoId) ?? 0);
    if (growth > 0 && this.totalBytes + growth > bounds.maxStoredBytes) throw full("bytes");
  }

  private count(repoId: string, bytes: number, oldMembers: string[], members: string[]): void {
    this.totalBytes += bytes - (this.sizes.get(repoId) ?? 0);
    this.sizes.set(repoId, bytes);
    this.memberEntries += members.length - oldMembers.length;
    for (const m of oldMembers) {
      const n = (this.membership.get(m) ?? 1) - 1;
      if (n === 0) this.membership.delete(m);
      else this.membership.set(m, n);
    }
    for (const m of members) this.membership.set(m, (this.membership.get(m) ?? 0) + 1);
  }

  private remember(repoId: string, repo: Repo, bytes: number): void {
    const old = this.cache.get(repoId);
    if (old !== undefined) {
      this.cache.delete(repoId);
      this.cachedBytes -= old.bytes;
    }
    this.cache.set(repoId, { repo, bytes });
    this.cachedBytes += bytes;
    if (this.backend === null) return;
    for (const [id, entry] of this.cache) {
      if (this.cachedBytes <= CACHE_MAX_BYTES) break;
      this.cache.delete(id);
      this.cachedBytes -= entry.bytes;
    }
  }
}
