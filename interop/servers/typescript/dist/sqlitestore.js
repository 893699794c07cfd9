"use strict";
// The durable backend: one SQLite database (better-sqlite3) in WAL mode with synchronous=FULL, so a
// commit is on disk before any answer depends on it. Writes accumulate in one open transaction that
// Store commits once per event-loop turn (its group commit); a commit is one WAL append and fsync,
// whatever the size of the rest of the state.
Object.defineProperty(exports, "__esModule", { value: true });
exports.SqliteBackend = exports.DatabaseError = void 0;
const Database = require("better-sqlite3");
const node_crypto_1 = require("node:crypto");
const SCHEMA_VERSION = 1;
const SCHEMA = `
CREATE TABLE server_key (id INTEGER PRIMARY KEY CHECK (id = 1), seed BLOB NOT NULL);
CREATE TABLE repos (id TEXT PRIMARY KEY, manifest TEXT NOT NULL, envelope TEXT NOT NULL, bytes INTEGER NOT NULL);
CREATE TABLE members (member TEXT NOT NULL, repo TEXT NOT NULL, PRIMARY KEY (repo, member)) WITHOUT ROWID;
CREATE TABLE used_nonces (id BLOB PRIMARY KEY, expires_ms INTEGER NOT NULL) WITHOUT ROWID;
CREATE INDEX used_nonces_expiry ON used_nonces (expires_ms);
`;
class DatabaseError extends Error {
}
exports.DatabaseError = DatabaseError;
const freshState = () => ({ seed: (0, node_crypto_1.randomBytes)(32), repos: [] });
function statements(db) {
    return {
        read: db.prepare("SELECT manifest, envelope FROM repos WHERE id = ?"),
        upsert: db.prepare("INSERT INTO repos (id, manifest, envelope, bytes) VALUES (?, ?, ?, ?) " +
            "ON CONFLICT (id) DO UPDATE SET manifest = excluded.manifest, envelope = excluded.envelope, bytes = excluded.bytes"),
        dropMembers: db.prepare("DELETE FROM members WHERE repo = ?"),
        addMember: db.prepare("INSERT INTO members (member, repo) VALUES (?, ?)"),
        useNonce: db.prepare("INSERT OR IGNORE INTO used_nonces (id, expires_ms) VALUES (?, ?)"),
        sweep: db.prepare("DELETE FROM used_nonces WHERE expires_ms <= ?"),
    };
}
function writeRepo(st, repoId, manifest, envelope, members) {
    st.upsert.run(repoId, manifest, envelope, Buffer.byteLength(manifest) + Buffer.byteLength(envelope));
    st.dropMembers.run(repoId);
    for (const m of members)
        st.addMember.run(m, repoId);
}
class SqliteBackend {
    signingSeed;
    db;
    st;
    /** Open the database at `file`, or create it (in one transaction) holding `initial()`. */
    constructor(file, initial = freshState) {
        try {
            this.db = new Database(file);
            const version = this.db.pragma("user_version", { simple: true });
            if (version > SCHEMA_VERSION)
                throw new Error(`schema version ${version} is newer than this server's (${SCHEMA_VERSION})`);
            const created = version === 0;
            if (created) {
                const tables = this.db.prepare("SELECT count(*) AS n FROM sqlite_master").get();
                if (tables.n !== 0)
                    throw new Error("not an avp-server-ts database");
                // Chosen before WAL mode and the first table, or it cannot be changed later.
                this.db.pragma("auto_vacuum = INCREMENTAL");
            }
            this.db.pragma("journal_mode = WAL");
            this.db.pragma("synchronous = FULL");
            if (created)
                this.create(initial());
        }
        catch (e) {
            throw new DatabaseError(`${file}: ${e.message}`);
        }
        const row = this.db.prepare("SELECT seed FROM server_key WHERE id = 1").get();
        this.signingSeed = Buffer.from(row.seed);
        this.st = statements(this.db);
    }
    scan(visit) {
        const members = new Map();
        for (const row of this.db.prepare("SELECT repo, member FROM members").iterate()) {
            const list = members.get(row.repo);
            if (list === undefined)
                members.set(row.repo, [row.member]);
            else
                list.push(row.member);
        }
        for (const row of this.db.prepare("SELECT id, bytes FROM repos").iterate()) {
            visit(row.id, row.bytes, members.get(row.id) ?? []);
        }
    }
    read(repoId) {
        return this.st.read.get(repoId);
    }
    write(repoId, manifest, envelope, members) {
        this.begin();
        writeRepo(this.st, repoId, manifest, envelope, members);
    }
    useNonce(id, expiresAtMs) {
        this.begin();
        return this.st.useNonce.run(id, expiresAtMs).changes === 1;
    }
    /** Forget expired used nonces and give their pages back to the file system. */
    sweepNonces(nowMs) {
        this.begin();
        if (this.st.sweep.run(nowMs).changes > 0)
            this.db.pragma("incremental_vacuum");
    }
    commit() {
        if (this.db.inTransaction)
            this.db.exec("COMMIT");
    }
    close() {
        this.commit();
        this.db.close();
    }
    begin() {
        if (!this.db.inTransaction)
            this.db.exec("BEGIN IMMEDIATE");
    }
    /** The schema, the signing key and any migrated repositories, in one transaction. */
    create(state) {
        this.db.transaction(() => {
            this.db.exec(SCHEMA);
            this.db.prepare("INSERT INTO server_key (id, seed) VALUES (1, ?)").run(state.seed);
            const st = statements(this.db);
            for (const r of state.repos)
                writeRepo(st, r.id, r.manifest, r.envelope, r.members);
            this.db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
    }
}
exports.SqliteBackend = SqliteBackend;
