// Repository state: in memory, optionally made durable in one JSON file.
//
// Durability is a group commit. A write changes memory at once (Node runs each request's
// check-then-write synchronously, so it is an atomic compare-and-set) and stamps the repository
// with a new generation. A request notes the newest generation it read or wrote, and is answered
// only once that generation is on disk: one writer snapshots the whole state to a temp file,
// fsyncs it, renames it over the file and fsyncs the directory, then releases every request up to
// that generation. So no answer — a 200 or a read — ever shows a state a crash could lose,
// concurrent writes share one fsync, and a read of an untouched repository never waits.

import { readFileSync } from "node:fs";
import { open, rename } from "node:fs/promises";
import { dirname } from "node:path";
import { decodeStd, encodeStd } from "./b64";
import { freeze, isObject, JsonObject, parseJson, stringify } from "./json";
import type { Envelope, Manifest } from "./schema";

export interface Repo {
  manifest: Manifest;
  envelope: Envelope;
}

const FORMAT = "avp-ts-state/1";
// The state file nests bodies two levels deeper than a request; give it room.
const FILE_MAX_DEPTH = 64;

export class StateFileError extends Error {}

interface Waiter {
  generation: number;
  resolve(): void;
  reject(e: unknown): void;
}

export class Store {
  private readonly repos = new Map<string, Repo>();
  /** member id -> number of repositories whose roster holds it (the maxReposPerMember quota). */
  private readonly membership = new Map<string, number>();
  private generation = 0;
  private durableGeneration = 0;
  /** repoId -> generation of its last write (file-backed stores only). */
  private readonly written = new Map<string, number>();
  /** Newest generation read or written since `startObserving`. */
  private observed = 0;
  private waiters: Waiter[] = [];
  private flushing = false;

  private constructor(
    readonly file: string | null,
    readonly signingSeed: Buffer,
    private readonly onFatal: (e: unknown) => void,
  ) {}

  static inMemory(signingSeed: Buffer): Store {
    return new Store(null, signingSeed, () => undefined);
  }

  /**
   * Open (or create) a durable store; a new file gets `freshSeed` as the server signing key.
   * `onFatal` runs when a write to disk fails: memory is then ahead of the file, so the caller
   * should stop the process (a restart reloads the last durable state).
   */
  static async open(file: string, freshSeed: Buffer, onFatal: (e: unknown) => void = () => undefined): Promise<Store> {
    let text: string | null = null;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (text === null) {
      const store = new Store(file, freshSeed, onFatal);
      await writeAtomic(file, store.snapshot());
      return store;
    }
    let doc;
    try {
      doc = parseJson(text, FILE_MAX_DEPTH);
    } catch (e) {
      throw new StateFileError(`${file} is not valid JSON: ${(e as Error).message}`);
    }
    const seed = isObject(doc) && typeof doc["signingKeySeed"] === "string" ? decodeStd(doc["signingKeySeed"]) : null;
    if (!isObject(doc) || doc["format"] !== FORMAT || seed === null || seed.length !== 32 || !isObject(doc["repos"])) {
      throw new StateFileError(`${file} is not an ${FORMAT} state file`);
    }
    const store = new Store(file, seed, onFatal);
    const repos = doc["repos"];
    for (const id of Object.keys(repos)) {
      const r = repos[id];
      if (!isObject(r) || !isObject(r["manifest"]) || !isObject(r["envelope"])) {
        throw new StateFileError(`${file}: repository entry is malformed`);
      }
      store.install(id, { manifest: r["manifest"] as Manifest, envelope: r["envelope"] as Envelope });
    }
    return store;
  }

  get(repoId: string): Repo | undefined {
    this.observed = Math.max(this.observed, this.written.get(repoId) ?? 0);
    return this.repos.get(repoId);
  }

  reposOf(memberId: string): number {
    this.observed = this.generation; // counts over every repository
    return this.membership.get(memberId) ?? 0;
  }

  /** Make `repo` the state of `repoId` (visible at once; durable once `durable()` resolves). */
  put(repoId: string, repo: Repo): void {
    this.install(repoId, repo);
    if (this.file === null) return;
    this.generation++;
    this.written.set(repoId, this.generation);
    this.observed = this.generation;
  }

  /** Start noting what one request's (synchronous) handler reads and writes. */
  startObserving(): void {
    this.observed = 0;
  }

  /** The newest generation the handler since `startObserving` read or wrote. */
  observedGeneration(): number {
    return this.observed;
  }

  /** Null when `generation` is already durable; else a promise that it is on disk. */
  durable(generation: number = this.generation): Promise<void> | null {
    if (this.durableGeneration >= generation) return null;
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ generation, resolve, reject }));
    void this.flush();
    return done;
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.durableGeneration < this.generation) {
        const generation = this.generation;
        await writeAtomic(this.file as string, this.snapshot());
        this.durableGeneration = generation;
        this.waiters = this.waiters.filter((w) => (w.generation <= generation ? (w.resolve(), false) : true));
      }
    } catch (e) {
      const waiting = this.waiters;
      this.waiters = [];
      for (const w of waiting) w.reject(e);
      this.onFatal(e);
    } finally {
      this.flushing = false;
    }
  }

  private install(repoId: string, repo: Repo): void {
    // Stored states are replaced, never edited (vault.ts builds new objects for every write).
    freeze(repo.manifest);
    freeze(repo.envelope);
    const old = this.repos.get(repoId);
    for (const m of old?.manifest.members ?? []) {
      const n = (this.membership.get(m.ed25519PublicKey) ?? 1) - 1;
      if (n === 0) this.membership.delete(m.ed25519PublicKey);
      else this.membership.set(m.ed25519PublicKey, n);
    }
    for (const m of repo.manifest.members) {
      this.membership.set(m.ed25519PublicKey, (this.membership.get(m.ed25519PublicKey) ?? 0) + 1);
    }
    this.repos.set(repoId, repo);
  }

  private snapshot(): string {
    const out: JsonObject = Object.create(null) as JsonObject;
    for (const [id, r] of this.repos) out[id] = { manifest: r.manifest, envelope: r.envelope };
    return stringify({ format: FORMAT, signingKeySeed: encodeStd(this.signingSeed), repos: out });
  }
}

/** temp file + fsync + rename + fsync of the directory: the file is the old or the new state. */
async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fh = await open(tmp, "w", 0o600);
  try {
    await fh.writeFile(text);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(dirname(file), "r");
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
