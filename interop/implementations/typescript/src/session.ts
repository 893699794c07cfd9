// The client actor's state and operations (docs/actor-contract.md): one identity, a token cache
// per server, and per repository the data keys held (current and former), the last manifest,
// pinned member keys and the highest (payloadVersion, keyEpoch) seen. Real crypto throughout.

import { randomBytes, randomUUID } from "node:crypto";
import { decodeStd, encodeStd } from "./b64";
import { ClientError } from "./clienterror";
import { verifyStrict } from "./ed25519";
import { checkCounter, decryptPayload, encryptPayload, SCHEME_ID, unwrapDataKey, wrapDataKey, WrappedKey } from "./envelope";
import { decodeInvite, decodeLocator, encodeInvite, encodeLocator, formatAddress } from "./federation";
import { Json, repoPath, request } from "./http";
import { Identity } from "./identity";

type Alt = Record<string, unknown>;

interface MemberEntry {
  ed25519PublicKey: string;
  x25519PublicKey: string;
  wrappedDataKey: WrappedKey;
  keyEpoch: number;
  keyBindingSig?: string | null;
}

interface Manifest {
  repoId: string;
  schemeId: string;
  keyEpoch: number;
  payloadVersion: number;
  members: MemberEntry[];
  shareRefreshTokens?: boolean;
}

interface RepoState {
  manifest: Manifest;
  dataKey: Buffer;
  alts: Alt[];
  highVersion: number;
  highEpoch: number;
  pinned: Map<string, string>; // member id -> X25519 key first seen
}

/** Options of every vault op (actor contract, "Client defences"). */
interface Defences {
  requireBinding: boolean;
  issuerJwksUrl: string | null;
}

const MAX_UPDATE_ATTEMPTS = 5;
const TOKEN_MARGIN_MS = 30_000;

const bad = (message: string): ClientError => new ClientError("bad_request", message);
const protocol = (message: string): ClientError => new ClientError("protocol_error", message);

function str(args: Json, name: string): string {
  const v = args?.[name];
  if (typeof v !== "string" || v === "") throw bad(`args.${name} must be a non-empty string`);
  return v;
}

function altList(v: unknown, name: string): Alt[] {
  if (!Array.isArray(v) || !v.every((a) => a !== null && typeof a === "object" && !Array.isArray(a))) {
    throw bad(`args.${name} must be an array of AltAccount objects`);
  }
  return v as Alt[];
}

/** Refresh-token policy (spec §5.1): on only for an explicit true; off strips on encrypt and decrypt. */
function applyPolicy(alts: Alt[], share: unknown): Alt[] {
  return alts.map((a) => {
    const out: Alt = { ...a };
    // Older payloads carry one `ban` instead of the `bans` map.
    if ("ban" in out && !("bans" in out)) {
      out["bans"] = out["ban"] === null ? null : { unknown: out["ban"] };
      delete out["ban"];
    }
    if (share !== true) {
      delete out["refreshToken"];
      delete out["expiresAt"];
    }
    return out;
  });
}

function checkManifest(m: Json, repoId: string): Manifest {
  if (m === null || typeof m !== "object" || !Array.isArray(m.members)) throw protocol("manifest is malformed");
  if (m.repoId !== repoId) throw protocol("manifest names another repository");
  checkCounter(m.payloadVersion, "manifest.payloadVersion");
  checkCounter(m.keyEpoch, "manifest.keyEpoch");
  for (const e of m.members) {
    if (typeof e?.ed25519PublicKey !== "string" || typeof e?.x25519PublicKey !== "string" || typeof e?.wrappedDataKey !== "object") {
      throw protocol("manifest member entry is malformed");
    }
  }
  return m as Manifest;
}

export class Session {
  private identity: Identity = Identity.random();
  private tokens = new Map<string, { token: string; expiresAt: number }>();
  private repos = new Map<string, RepoState>();
  /** Every data key ever held per repoId (any server): what open_envelope may try. */
  private heldKeys = new Map<string, Buffer[]>();
  private issuerKeys = new Map<string, Buffer[]>();

  // --- identity and authentication ----------------------------------------------------------------

  setIdentity(args: Json): Json {
    const seed = args?.ed25519SeedB64 === undefined ? null : decodeStd(String(args.ed25519SeedB64));
    const xpriv = args?.x25519PrivateB64 === undefined ? null : decodeStd(String(args.x25519PrivateB64));
    if ((seed !== null && seed.length !== 32) || (xpriv !== null && xpriv.length !== 32)) throw new ClientError("invalid_key", "keys must be 32 bytes");
    if ((args?.ed25519SeedB64 !== undefined && seed === null) || (args?.x25519PrivateB64 !== undefined && xpriv === null)) {
      throw new ClientError("invalid_encoding", "keys must be strict standard base64");
    }
    this.identity = Identity.fromRaw(seed, xpriv);
    this.tokens.clear();
    this.repos.clear();
    this.heldKeys.clear();
    this.issuerKeys.clear();
    const id = this.identity;
    return {
      ed25519PublicKey: id.memberId,
      x25519PublicKey: id.x25519PublicB64,
      inviteToken: encodeInvite({ ed25519PublicKey: id.memberId, x25519PublicKey: id.x25519PublicB64 }),
    };
  }

  async authenticate(server: string): Promise<{ token: string; expiresAt: number }> {
    const ch = await request(server, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: this.identity.memberId });
    const nonce = typeof ch.nonce === "string" ? decodeStd(ch.nonce) : null;
    if (nonce === null) throw protocol("challenge answer has no base64 nonce");
    const t = await request(server, "POST", "/api/auth/keypair/token", {
      ed25519PublicKey: this.identity.memberId,
      nonce: ch.nonce,
      signature: encodeStd(this.identity.sign(nonce)),
    });
    if (typeof t.token !== "string") throw protocol("token answer has no token");
    const got = { token: t.token as string, expiresAt: checkCounter(t.expiresAt, "expiresAt") };
    this.tokens.set(server, got);
    return got;
  }

  private async token(server: string): Promise<string> {
    const cached = this.tokens.get(server);
    if (cached !== undefined && cached.expiresAt - TOKEN_MARGIN_MS > Date.now()) return cached.token;
    return (await this.authenticate(server)).token;
  }

  /** A vault request; a 401 on a cached token means it expired early: log in again, once. */
  private async vault(server: string, method: "GET" | "POST", path: string, body?: unknown): Promise<Json> {
    const cached = this.tokens.has(server);
    try {
      return await request(server, method, path, body, await this.token(server));
    } catch (e) {
      if (!cached || !(e instanceof ClientError) || e.status !== 401) throw e;
      this.tokens.delete(server);
      return request(server, method, path, body, await this.token(server));
    }
  }

  // --- repositories ---------------------------------------------------------------------------------

  private entryFor(dataKey: Buffer, member: { ed25519PublicKey: string; x25519PublicKey: string; keyBindingSig?: string | null }, keyEpoch: number): MemberEntry {
    const x = decodeStd(member.x25519PublicKey);
    if (x === null || x.length !== 32) throw new ClientError("invalid_key", "member X25519 key is not a base64 32-byte key");
    const entry: MemberEntry = {
      ed25519PublicKey: member.ed25519PublicKey,
      x25519PublicKey: member.x25519PublicKey,
      wrappedDataKey: wrapDataKey(dataKey, x),
      keyEpoch,
    };
    if (typeof member.keyBindingSig === "string") entry.keyBindingSig = member.keyBindingSig;
    return entry;
  }

  private seal(dataKey: Buffer, repoId: string, payloadVersion: number, keyEpoch: number, alts: Alt[]) {
    const pt = Buffer.from(JSON.stringify({ alts, payloadVersion }), "utf8");
    const { iv, ciphertext } = encryptPayload(dataKey, repoId, payloadVersion, keyEpoch, pt);
    return { repoId, payloadVersion, keyEpoch, iv: encodeStd(iv), ciphertext: encodeStd(ciphertext) };
  }

  private hold(repoId: string, key: Buffer): void {
    const keys = this.heldKeys.get(repoId) ?? [];
    if (!keys.some((k) => k.equals(key))) keys.push(key);
    this.heldKeys.set(repoId, keys);
  }

  async createRepo(args: Json): Promise<Json> {
    const server = str(args, "server");
    const repoId = args?.repoId === undefined ? randomUUID() : str(args, "repoId");
    const share = args?.shareRefreshTokens;
    if (share !== undefined && typeof share !== "boolean") throw bad("args.shareRefreshTokens must be a boolean");
    const alts = applyPolicy(altList(args?.alts ?? [], "alts"), share);
    const dataKey = randomBytes(32);
    const me = { ed25519PublicKey: this.identity.memberId, x25519PublicKey: this.identity.x25519PublicB64, keyBindingSig: args?.keyBindingSig ?? null };
    const manifest: Json = { repoId, schemeId: SCHEME_ID, keyEpoch: 0, payloadVersion: 1, members: [this.entryFor(dataKey, me, 0)] };
    if (share !== undefined) manifest.shareRefreshTokens = share;
    const served = checkManifest(await this.vault(server, "POST", "/v1/repos", { manifest, initialEnvelope: this.seal(dataKey, repoId, 1, 0, alts) }), repoId);
    this.remember(server, served, dataKey, alts);
    return { repoId, address: formatAddress(new URL(server).host, repoId), payloadVersion: 1, keyEpoch: 0 };
  }

  private remember(server: string, manifest: Manifest, dataKey: Buffer, alts: Alt[]): RepoState {
    const key = `${server}\n${manifest.repoId}`;
    const prev = this.repos.get(key);
    const pinned = prev?.pinned ?? new Map<string, string>();
    for (const m of manifest.members) if (!pinned.has(m.ed25519PublicKey)) pinned.set(m.ed25519PublicKey, m.x25519PublicKey);
    const state: RepoState = {
      manifest,
      dataKey,
      alts,
      highVersion: Math.max(prev?.highVersion ?? 0, manifest.payloadVersion),
      highEpoch: Math.max(prev?.highEpoch ?? 0, manifest.keyEpoch),
      pinned,
    };
    this.repos.set(key, state);
    this.hold(manifest.repoId, dataKey);
    return state;
  }

  /** Pull, check everything the client can check, unwrap and decrypt. */
  private async fetchState(server: string, repoId: string): Promise<{ state: RepoState; unchanged: boolean }> {
    const prev = this.repos.get(`${server}\n${repoId}`);
    const known = prev?.manifest.payloadVersion ?? 0;
    const answer = await this.vault(server, "POST", `${repoPath(repoId)}/pull`, { repoId, knownPayloadVersion: known });
    const m = checkManifest(answer.manifest, repoId);
    if (prev !== undefined && (m.payloadVersion < prev.highVersion || m.keyEpoch < prev.highEpoch)) {
      throw new ClientError("rollback_detected", "the server served an older payloadVersion or keyEpoch than already seen");
    }
    for (const e of m.members) {
      const pin = prev?.pinned.get(e.ed25519PublicKey);
      if (pin !== undefined && pin !== e.x25519PublicKey) throw new ClientError("key_changed", "a known member's X25519 key changed");
    }
    if (answer.unchanged === true) {
      // Only the version this client holds can be unchanged (versions start at 1, `known` at 0).
      if (prev === undefined || m.payloadVersion !== known) throw protocol("'unchanged' for a version this client does not hold");
      return { state: this.remember(server, m, prev.dataKey, prev.alts), unchanged: true };
    }
    const env = answer.envelope;
    if (env === null || typeof env !== "object" || typeof env.iv !== "string" || typeof env.ciphertext !== "string") {
      throw protocol("pull answer has no envelope");
    }
    const mine = m.members.find((e) => e.ed25519PublicKey === this.identity.memberId);
    if (mine === undefined) throw protocol("this identity is not in the served roster");
    const dataKey = unwrapDataKey(mine.wrappedDataKey, this.identity.x25519);
    const iv = decodeStd(env.iv);
    const ct = decodeStd(env.ciphertext);
    if (iv === null || ct === null) throw new ClientError("invalid_encoding", "envelope iv/ciphertext are not strict base64");
    // The AAD is what this client expects (its repoId, the manifest's counters): a replayed or
    // relabelled envelope fails authentication instead of being believed.
    const pt = decryptPayload(dataKey, repoId, m.payloadVersion, m.keyEpoch, iv, ct);
    const alts = this.parsePayload(pt, m.shareRefreshTokens);
    return { state: this.remember(server, m, dataKey, alts), unchanged: false };
  }

  private parsePayload(pt: Buffer, share: unknown): Alt[] {
    let doc: Json;
    try {
      doc = JSON.parse(pt.toString("utf8"));
    } catch {
      throw protocol("decrypted payload is not JSON");
    }
    return applyPolicy(altList(doc?.alts, "payload.alts"), share);
  }

  async pull(args: Json): Promise<Json> {
    const { state, unchanged } = await this.fetchState(str(args, "server"), str(args, "repoId"));
    const m = state.manifest;
    return {
      unchanged,
      payloadVersion: m.payloadVersion,
      keyEpoch: m.keyEpoch,
      alts: state.alts,
      members: m.members.map((e) => e.ed25519PublicKey),
      shareRefreshTokens: m.shareRefreshTokens ?? null,
    };
  }

  private async pushOnce(server: string, state: RepoState, alts: Alt[]): Promise<Json> {
    const m = state.manifest;
    const next = m.payloadVersion + 1;
    checkCounter(next, "payloadVersion");
    const clean = applyPolicy(alts, m.shareRefreshTokens);
    const answer = await this.vault(server, "POST", `${repoPath(m.repoId)}/push`, {
      repoId: m.repoId,
      envelope: this.seal(state.dataKey, m.repoId, next, m.keyEpoch, clean),
      expectedPayloadVersion: m.payloadVersion,
    });
    const result = {
      accepted: answer.accepted === true,
      conflict: answer.conflict === true,
      payloadVersion: checkCounter(answer.payloadVersion, "payloadVersion"),
      keyEpoch: checkCounter(answer.keyEpoch, "keyEpoch"),
    };
    if (result.accepted) {
      this.remember(server, { ...m, payloadVersion: next }, state.dataKey, clean);
    }
    return result;
  }

  private async current(server: string, repoId: string): Promise<RepoState> {
    return this.repos.get(`${server}\n${repoId}`) ?? (await this.fetchState(server, repoId)).state;
  }

  async push(args: Json): Promise<Json> {
    const server = str(args, "server");
    const state = await this.current(server, str(args, "repoId"));
    return this.pushOnce(server, state, altList(args?.alts, "alts"));
  }

  async update(args: Json): Promise<Json> {
    const server = str(args, "server");
    const repoId = str(args, "repoId");
    const add = altList(args?.addAlts, "addAlts");
    for (let attempt = 1; attempt <= MAX_UPDATE_ATTEMPTS; attempt++) {
      const { state } = await this.fetchState(server, repoId);
      const r = await this.pushOnce(server, state, [...state.alts, ...add]);
      if (r.accepted) return { payloadVersion: r.payloadVersion, keyEpoch: r.keyEpoch, attempts: attempt };
    }
    throw new ClientError("conflict", `push still conflicted after ${MAX_UPDATE_ATTEMPTS} attempts`);
  }

  async addMember(args: Json): Promise<Json> {
    const server = str(args, "server");
    const repoId = str(args, "repoId");
    const defences = defencesOf(args);
    const invite = decodeInvite(str(args, "inviteToken"));
    const binding = typeof args?.keyBindingSig === "string" ? (args.keyBindingSig as string) : null;
    const { state } = await this.fetchState(server, repoId);
    await this.checkBinding(server, { ...invite, keyBindingSig: binding }, defences);
    const entry = this.entryFor(state.dataKey, { ...invite, keyBindingSig: binding }, state.manifest.keyEpoch);
    const served = checkManifest(await this.vault(server, "POST", `${repoPath(repoId)}/add-member`, { repoId, member: entry }), repoId);
    this.remember(server, served, state.dataKey, state.alts);
    return { members: served.members.map((e) => e.ed25519PublicKey) };
  }

  async removeMember(args: Json): Promise<Json> {
    const server = str(args, "server");
    const repoId = str(args, "repoId");
    const removed = str(args, "memberId");
    const defences = defencesOf(args);
    const { state } = await this.fetchState(server, repoId);
    const m = state.manifest;
    const remaining = m.members.filter((e) => e.ed25519PublicKey !== removed);
    if (remaining.length === m.members.length) throw new ClientError("not_found", "no such member in the served roster");
    for (const e of remaining) if (e.ed25519PublicKey !== this.identity.memberId) await this.checkBinding(server, e, defences);
    const newKey = randomBytes(32);
    const epoch = checkCounter(m.keyEpoch + 1, "keyEpoch");
    const version = checkCounter(m.payloadVersion + 1, "payloadVersion");
    const served = checkManifest(
      await this.vault(server, "POST", `${repoPath(repoId)}/remove-member`, {
        repoId,
        removedMemberId: removed,
        rotatedEnvelope: this.seal(newKey, repoId, version, epoch, state.alts),
        rewrappedMembers: remaining.map((e) => this.entryFor(newKey, e, epoch)),
        newKeyEpoch: epoch,
      }),
      repoId,
    );
    this.remember(server, served, newKey, state.alts);
    return { payloadVersion: served.payloadVersion, keyEpoch: served.keyEpoch, members: served.members.map((e) => e.ed25519PublicKey) };
  }

  async fetchMember(args: Json): Promise<Json> {
    const server = str(args, "server");
    const repoId = str(args, "repoId");
    const memberId = str(args, "memberId");
    const entry = await this.vault(server, "GET", `${repoPath(repoId)}/member/${encodeURIComponent(memberId)}`);
    if (entry.ed25519PublicKey !== memberId || typeof entry.x25519PublicKey !== "string") throw protocol("served entry is for another member");
    const pin = this.repos.get(`${server}\n${repoId}`)?.pinned.get(memberId);
    if (pin !== undefined && pin !== entry.x25519PublicKey) throw new ClientError("key_changed", "the member's X25519 key changed");
    await this.checkBinding(server, entry, defencesOf(args));
    return entry;
  }

  async keyBinding(args: Json): Promise<Json> {
    const server = str(args, "server");
    const r = await this.vault(server, "POST", "/v1/key-binding", { x25519PublicKey: this.identity.x25519PublicB64 });
    return { keyBindingSig: r.keyBindingSig, issuerJwksUrl: r.issuerJwksUrl };
  }

  locator(args: Json): Json {
    const server = str(args, "server");
    const repoId = str(args, "repoId");
    const state = this.repos.get(`${server}\n${repoId}`);
    const host = new URL(server).host;
    const token = encodeLocator({ host, repoId, schemeId: SCHEME_ID, ...(state ? { keyEpoch: state.manifest.keyEpoch } : {}) });
    return { token, address: formatAddress(host, repoId) };
  }

  async join(args: Json): Promise<Json> {
    const loc = decodeLocator(str(args, "locatorToken"));
    const server = `http://${loc.host}`;
    const { state } = await this.fetchState(server, loc.repoId);
    return { server, repoId: loc.repoId, payloadVersion: state.manifest.payloadVersion, keyEpoch: state.manifest.keyEpoch, alts: state.alts };
  }

  openEnvelope(args: Json): Json {
    const repoId = str(args, "repoId");
    const env = args?.envelope;
    if (env === null || typeof env !== "object") throw bad("args.envelope must be an EncryptedEnvelope");
    const iv = decodeStd(String(env.iv));
    const ct = decodeStd(String(env.ciphertext));
    if (iv === null || ct === null) throw new ClientError("invalid_encoding", "envelope iv/ciphertext are not strict base64");
    const share = [...this.repos.values()].find((s) => s.manifest.repoId === repoId)?.manifest.shareRefreshTokens;
    for (const key of this.heldKeys.get(repoId) ?? []) {
      try {
        const pt = decryptPayload(key, repoId, env.payloadVersion, env.keyEpoch, iv, ct);
        return { alts: this.parsePayload(pt, share) };
      } catch (e) {
        if (!(e instanceof ClientError) || e.code !== "invalid_tag") throw e;
      }
    }
    throw new ClientError("invalid_tag", "no data key this actor holds or held opens the envelope");
  }

  // --- key bindings ---------------------------------------------------------------------------------

  private async checkBinding(server: string, member: { ed25519PublicKey: string; x25519PublicKey: string; keyBindingSig?: string | null }, d: Defences): Promise<void> {
    if (!d.requireBinding) return;
    const sig = typeof member.keyBindingSig === "string" ? decodeStd(member.keyBindingSig) : null;
    if (sig === null || sig.length !== 64) throw new ClientError("binding_invalid", "member has no well-formed keyBindingSig");
    const msg = Buffer.from(`${member.ed25519PublicKey}|${member.x25519PublicKey}`, "utf8");
    const keys = await this.issuerKeysFor(server, d.issuerJwksUrl);
    if (!keys.some((k) => verifyStrict(k, msg, sig))) throw new ClientError("binding_invalid", "keyBindingSig does not verify against the issuer key");
  }

  private async issuerKeysFor(server: string, configured: string | null): Promise<Buffer[]> {
    let url = configured;
    if (url === null) {
      const disco = await request(server, "GET", "/.well-known/avp");
      if (typeof disco.issuerJwksUrl !== "string") throw new ClientError("binding_invalid", "the server publishes no issuerJwksUrl");
      url = disco.issuerJwksUrl as string;
    }
    const cached = this.issuerKeys.get(url);
    if (cached !== undefined) return cached;
    const u = new URL(url);
    const jwks = await request(u.origin, "GET", u.pathname + u.search);
    const keys = (Array.isArray(jwks.keys) ? jwks.keys : [])
      .filter((k: Json) => k?.kty === "OKP" && k?.crv === "Ed25519" && typeof k?.x === "string")
      .map((k: Json) => Buffer.from(k.x as string, "base64url"))
      .filter((k: Buffer) => k.length === 32);
    this.issuerKeys.set(url, keys);
    return keys;
  }
}

function defencesOf(args: Json): Defences {
  return {
    requireBinding: args?.requireBinding === true,
    issuerJwksUrl: typeof args?.issuerJwksUrl === "string" ? (args.issuerJwksUrl as string) : null,
  };
}
