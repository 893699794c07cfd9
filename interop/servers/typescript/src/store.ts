// Repository state: in memory, optionally made durable in one JSON file. Every change is written
// as a whole new file (temp + fsync + rename + fsync of the directory) *before* memory changes and
// before the client gets its 200, so a restart never loses an acknowledged write. Node runs each
// request's semantic step synchronously, so a check-then-commit here is an atomic compare-and-set.

import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { decodeStd, encodeStd } from "./b64";
import { isObject, JsonObject, parseJson, stringify } from "./json";
import type { Envelope, Manifest } from "./schema";

export interface Repo {
  manifest: Manifest;
  envelope: Envelope;
}

const FORMAT = "avp-ts-state/1";
// The state file nests bodies two levels deeper than a request; give it room.
const FILE_MAX_DEPTH = 64;

export class StateFileError extends Error {}

export class Store {
  private readonly repos = new Map<string, Repo>();
  /** member id -> number of repositories whose roster holds it (the maxReposPerMember quota). */
  private readonly membership = new Map<string, number>();

  private constructor(
    readonly file: string | null,
    readonly signingSeed: Buffer,
  ) {}

  static inMemory(signingSeed: Buffer): Store {
    return new Store(null, signingSeed);
  }

  /** Open (or create) a durable store; a new file gets `freshSeed` as the server signing key. */
  static open(file: string, freshSeed: Buffer): Store {
    let text: string | null = null;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    if (text === null) {
      const store = new Store(file, freshSeed);
      store.persist(store.repos);
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
    const store = new Store(file, seed);
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
    return this.repos.get(repoId);
  }

  reposOf(memberId: string): number {
    return this.membership.get(memberId) ?? 0;
  }

  /** Write `repo` as the new state of `repoId`: durable first (when file-backed), then visible. */
  put(repoId: string, repo: Repo): void {
    if (this.file !== null) {
      const next = new Map(this.repos);
      next.set(repoId, repo);
      this.persist(next);
    }
    this.install(repoId, repo);
  }

  private install(repoId: string, repo: Repo): void {
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

  private persist(repos: Map<string, Repo>): void {
    const file = this.file as string;
    const out: JsonObject = Object.create(null) as JsonObject;
    for (const [id, r] of repos) out[id] = { manifest: r.manifest, envelope: r.envelope };
    const text = stringify({ format: FORMAT, signingKeySeed: encodeStd(this.signingSeed), repos: out });
    const tmp = `${file}.tmp-${process.pid}`;
    const fd = openSync(tmp, "w", 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    const dir = openSync(dirname(file), "r");
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
