// The durable backend: one SQLite database (better-sqlite3) in WAL mode with synchronous=FULL, so a
// commit is on disk before any answer depends on it. Writes accumulate in one open transaction that
// Store commits once per event-loop turn (its group commit); a commit is one WAL append and fsync,
// whatever the size of the rest of the state.

import Database = require("better-sqlite3");
import { randomBytes } from "node:crypto";
import type { Backend } from "./store";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE server_key (id INTEGER PRIMARY KEY CHECK (id = 1), seed BLOB NOT NULL);
CREATE TABLE repos (id TEXT PRIMARY KEY, manifest TEXT NOT NULL, envelope TEXT NOT NULL, bytes INTEGER NOT NULL);
CREATE TABLE members (member TEXT NOT NULL, repo TEXT NOT NULL, PRIMARY KEY (repo, member)) WITHOUT ROWID;
CREATE TABLE used_nonces (id BLOB PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX used_nonces_expiry ON used_nonces (expires_ms);
`;

export class DatabaseError extends Error {}

/** What a new database starts with: the server's signing key and, when migrating, repositories. */
export interface InitialState {
  seed: Buffer;
  repos: Iterable<{ id: string; manifest: string; envelope: string; members: string[] }>;
}

const freshState = (): InitialState => ({ seed: randomBytes(32), repos: [] });

type Statements = Record<"read" | "upsert" | "dropMembers" | "addMember" | "useNonce" | "sweep", Database.Statement>;

function statements(db: Database.Database): Statements {
  return {
    read: db.prepare("SELECT manifest, envelope FROM repos WHERE id = ?"),
    upsert: db.prepare(
      "INSERT INTO repos (id, manifest, envelope, bytes) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest, envelope = excluded.envelope, bytes = excluded.bytes",
    ),
    dropMembers: db.prepare("DELETE FROM members WHERE repo = ?"),
    addMember: db.prepare("INSERT INTO members (member, repo) VALUES (?, ?)"),
    useNonce: db.prepare("INSERT OR IGNORE INTO used_nonces (id, expires_ms) VALUES (?, ?)"),
    sweep: db.prepare("DELETE FROM used_nonces WHERE expires_ms <= ?"),
  };
}

function writeRepo(st: Statements, repoId: string, manifest: string, envelope: string, members: string[]): void {
  st.upsert.run(repoId, manifest, envelope, Buffer.byteLength(manifest) + Buffer.byteLength(envelope));
  st.dropMembers.run(repoId);
  for (const m of members) st.addMember.run(m, repoId);
}

export class SqliteBackend implements Backend {
  readonly signingSeed: Buffer;
  private readonly db: Database.Database;
  private readonly st: Statements;

  /** Open the database at `file`, or create it (in one transaction) holding `initial()`. */
  constructor(file: string, initial: () => InitialState = freshState) {
    try {
      this.db = new Database(file);
      const version = this.db.pragma("user_version", { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`schema version ${version} is newer than this server's (${SCHEMA_VERSION})`);
      const created = version === 0;
      if (created) {
        const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master").get() as { n: number };
        if (tables.n !== 0) throw new Error("not an avp-server-ts database");
        // Chosen before WAL mode and the first table, or it cannot be changed later.
        this.db.pragma("auto_vacuum = INCREMENTAL");
      }
      this.db.pragma("journal_mode = WAL");
      this.db.pragma("synchronous = FULL");
      if (created) this.create(initial());
    } catch (e) {
      throw new DatabaseError(`${file}: ${(e as Error).message}`);
    }
    const row = this.db.prepare("SELECT seed FROM server_key WHERE id = 1").get() as { seed: Buffer };
    this.signingSeed = Buffer.from(row.seed);
    this.st = statements(this.db);
  }

  scan(visit: (repoId: string, bytes: number, members: string[]) => void): void {
    const members = new Map<string, string[]>();
    for (const row of this.db.prepare("SELECT repo, member FROM members").iterate() as Iterable<{ repo: string; member: string }>) {
      const list = members.get(row.repo);
      if (list === undefined) members.set(row.repo, [row.member]);
      else list.push(row.member);
    }
    for (const row of this.db.prepare("SELECT id, bytes FROM repos").iterate() as Iterable<{ id: string; bytes: number }>) {
      visit(row.id, row.bytes, members.get(row.id) ?? []);
    }
  }

  read(repoId: string): { manifest: string; envelope: string } | undefined {
    return this.st.read.get(repoId) as { manifest: string; envelope: string } | undefined;
  }

  write(repoId: string, manifest: string, envelope: string, members: string[]): void {
    this.begin();
    writeRepo(this.st, repoId, manifest, envelope, members);
  }

  useNonce(id: Buffer, expiresAtMs: number): boolean {
    this.begin();
    return this.st.useNonce.run(id, expiresAtMs).changes === 1;
  }

  /** Forget expired used nonces and give their pages back to the file system. */
  sweepNonces(nowMs: number): void {
    this.begin();
    if (this.st.sweep.run(nowMs).changes > 0) this.db.pragma("incremental_vacuum");
  }

  commit(): void {
    if (this.db.inTransaction) this.db.exec("COMMIT");
  }

  close(): void {
    this.commit();
    this.db.close();
  }

  private begin(): void {
    if (!this.db.inTransaction) this.db.exec("BEGIN IMMEDIATE");
  }

  /** The schema, the signing key and any migrated repositories, in one transaction. */
  private create(state: InitialState): void {
    this.db.transaction(() => {
      this.db.exec(SCHEMA);
      this.db.prepare("INSERT INTO server_key (id, seed) VALUES (1, ?)").run(state.seed);
      const st = statements(this.db);
      for (const r of state.repos) writeRepo(st, r.id, r.manifest, r.envelope, r.members);
      this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
    })();
  }
}
