// HTTP plumbing over node:http: routing, the order of checks (wire contract §1), body limits,
// bearer tokens, error bodies and one log line per request. Route semantics live in vault.ts.

import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { diffieHellman, generateKeyPairSync } from "node:crypto";
import type { Config } from "./config";
import { answerClientError, bodyDeadlineMs, limitConnections, serverOptions } from "./connections";
import { verifyStrict } from "./ed25519";
import { HttpError, badRequest, rateLimited } from "./errors";
import { JsonSyntaxError, JsonValue, isObject, parseJsonBytes, stringify } from "./json";
import { publicKeyFromRaw } from "./keys";
import { Challenges, nonceKeyFromSeed } from "./nonces";
import { RateLimiter } from "./ratelimit";
import * as schema from "./schema";
import type { Store } from "./store";
import { Issuer } from "./tokens";
import { VERSION } from "./version";
import * as vault from "./vault";

export const IMPLEMENTATION = { name: "avp-server-ts", language: "typescript", version: VERSION };

type Method = "GET" | "POST";

interface Route {
  template: string;
  method: Method;
  auth: boolean;
  /** Raw (still percent-encoded) path segments captured by the template's {placeholders}. */
  match(segments: string[]): string[] | null;
  handle(ctx: Ctx, params: string[], body: JsonValue): JsonValue;
}

interface Ctx {
  app: App;
  req: IncomingMessage;
  caller: string; // member id from the bearer token ("" on unauthenticated routes)
}

export interface App {
  config: Config;
  store: Store;
  issuer: Issuer;
  challenges: Challenges;
  /** Per client address: the two login routes share one bucket; repository creation has its own. */
  loginLimiter: RateLimiter;
  createLimiter: RateLimiter;
  now(): number;
}

/** The application state of a server: the store plus what is derived from config and its key. */
export function newApp(config: Config, store: Store, now: () => number = () => Date.now()): App {
  return {
    config,
    store,
    issuer: new Issuer(store.signingSeed, config.tokenTtlSeconds),
    challenges: new Challenges(nonceKeyFromSeed(store.signingSeed), config.nonceTtlSeconds),
    loginLimiter: new RateLimiter(config.loginBurst, config.loginPerMinute / 60),
    createLimiter: new RateLimiter(config.createBurst, config.createPerMinute / 60),
    now,
  };
}

function route(template: string, method: Method, auth: boolean, handle: Route["handle"]): Route {
  const parts = template.split("/").slice(1);
  return {
    template,
    method,
    auth,
    handle,
    match(segments) {
      if (segments.length !== parts.length) return null;
      const params: string[] = [];
      for (let i = 0; i < parts.length; i++) {
        const want = parts[i] as string;
        const got = segments[i] as string;
        if (want.startsWith("{")) {
          if (got === "") return null;
          params.push(got);
        } else if (want !== got) return null;
      }
      return params;
    },
  };
}

/** Percent-decode one path segment (UTF-8); `+` stays `+`. */
function pathId(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw badRequest("malformed path", `${what}: invalid percent-encoding`);
  }
}

function repoIdFromPath(raw: string, bodyRepoId: string | null): string {
  const id = pathId(raw, "repoId");
  schema.checkRepoId(id, "path repoId");
  if (bodyRepoId !== null && bodyRepoId !== id) throw badRequest("repoId mismatch", "path and body repoId differ");
  return id;
}

function baseUrl(app: App, req: IncomingMessage): string {
  return app.config.publicUrl ?? `http://${req.headers.host ?? `${app.config.host}:${app.config.port}`}`;
}

/** Does X25519 with a clamped scalar give all zeros for this key (a small-order point)? */
function isLowOrderX25519(raw: Uint8Array): boolean {
  try {
    const out = diffieHellman({ privateKey: generateKeyPairSync("x25519").privateKey, publicKey: publicKeyFromRaw("X25519", raw) });
    return out.every((b) => b === 0);
  } catch {
    return true; // OpenSSL refuses an all-zero result
  }
}

const ROUTES: Route[] = [
  route("/api/auth/keypair/challenge", "POST", false, ({ app }, _p, body) => {
    const { key } = schema.challengeRequest(body);
    return { nonce: app.challenges.issue(key, app.now()).toString("base64") };
  }),
  route("/api/auth/keypair/token", "POST", false, ({ app }, _p, body) => {
    const r = schema.tokenRequest(body);
    const now = app.now();
    const live = app.challenges.check(r.nonce, r.key, now);
    if (live === null) throw new HttpError("unauthorized", "unknown, expired or foreign nonce");
    if (!verifyStrict(r.key, r.nonce, r.signature)) throw new HttpError("unauthorized", "bad signature");
    // Only a successful login writes anything: the nonce, until it expires, so it cannot be replayed.
    if (!app.store.useNonce(live.id, live.expiresAtMs, now)) throw new HttpError("unauthorized", "nonce already used");
    return app.issuer.mint(r.key.toString("base64"), now);
  }),
  route("/v1/repos", "POST", true, ({ app, req, caller }, _p, body) => {
    const r = schema.createRepoRequest(body);
    const mayCreate = (): void => {
      const wait = app.createLimiter.take(clientAddress(req), app.now());
      if (wait > 0) throw rateLimited(wait);
    };
    return vault.createRepo(app.store, app.config, caller, r.manifest, r.envelope, mayCreate);
  }),
  route("/v1/repos/{repoId}/pull", "POST", true, ({ app, caller }, [raw], body) => {
    const r = schema.pullRequest(body);
    return vault.pull(app.store, caller, repoIdFromPath(raw as string, r.repoId), r.known);
  }),
  route("/v1/repos/{repoId}/push", "POST", true, ({ app, caller }, [raw], body) => {
    const r = schema.pushRequest(body);
    const id = repoIdFromPath(raw as string, r.repoId);
    return vault.push(app.store, app.config, caller, id, r.envelope, r.expected, r.rotatedMembers);
  }),
  route("/v1/repos/{repoId}/add-member", "POST", true, ({ app, caller }, [raw], body) => {
    const r = schema.addMemberRequest(body);
    return vault.addMember(app.store, app.config, caller, repoIdFromPath(raw as string, r.repoId), r.member);
  }),
  route("/v1/repos/{repoId}/remove-member", "POST", true, ({ app, caller }, [raw], body) => {
    const r = schema.removeMemberRequest(body);
    const id = repoIdFromPath(raw as string, r.repoId);
    return vault.removeMember(app.store, app.config, caller, id, r.removedMemberId, r.envelope, r.members, r.newKeyEpoch);
  }),
  route("/v1/repos/{repoId}/member/{memberId}", "GET", true, ({ app, caller }, [rawRepo, rawMember]) => {
    const id = repoIdFromPath(rawRepo as string, null);
    const memberId = pathId(rawMember as string, "memberId");
    schema.keyId(memberId, "path memberId");
    return vault.fetchMember(app.store, caller, id, memberId);
  }),
  route("/v1/key-binding", "POST", true, ({ app, req, caller }, _p, body) => {
    const r = schema.keyBindingRequest(body);
    if (isLowOrderX25519(r.x25519)) throw badRequest("low-order X25519 key", "x25519PublicKey");
    return {
      ed25519PublicKey: caller,
      x25519PublicKey: r.x25519B64,
      keyBindingSig: app.issuer.bind(caller, r.x25519B64).toString("base64"),
      kid: app.issuer.kid,
      issuerJwksUrl: `${baseUrl(app, req)}/.well-known/jwks.json`,
    };
  }),
  route("/.well-known/avp", "GET", false, ({ app, req }) => {
    const base = baseUrl(app, req);
    const c = app.config;
    return {
      profiles: ["http-json"],
      avpVersion: "0.4",
      issuerJwksUrl: `${base}/.well-known/jwks.json`,
      keyBindingUrl: `${base}/v1/key-binding`,
      limits: {
        maxBodyBytes: c.maxBodyBytes,
        maxReposPerMember: c.maxReposPerMember,
        maxMembersPerRepo: c.maxMembersPerRepo,
        nonceTtlSeconds: c.nonceTtlSeconds,
        tokenTtlSeconds: c.tokenTtlSeconds,
      },
      implementation: { ...IMPLEMENTATION },
    };
  }),
  route("/.well-known/jwks.json", "GET", false, ({ app }) => ({ keys: [app.issuer.jwk()] })),
];

const clientAddress = (req: IncomingMessage): string => req.socket.remoteAddress ?? "";

function bearer(app: App, req: IncomingMessage): string {
  const h = req.headers.authorization ?? "";
  const space = h.indexOf(" ");
  const scheme = space < 0 ? h : h.slice(0, space);
  const credentials = space < 0 ? "" : h.slice(space + 1).trim();
  const caller = scheme.toLowerCase() === "bearer" && credentials !== "" ? app.issuer.verify(credentials, app.now()) : null;
  if (caller === null) throw new HttpError("unauthorized", "missing, malformed, expired or foreign bearer token");
  return caller;
}

class BodyTooLarge extends Error {}
class BodyTooSlow extends Error {}
/** The client closed the connection before its body arrived: nobody to answer. */
class ClientGone extends Error {}

/**
 * Read the body, giving up as soon as it passes `limit` (BodyTooLarge) or when it has not all
 * arrived within `deadlineMs` (BodyTooSlow).
 */
function readBody(req: IncomingMessage, limit: number, deadlineMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const timer = setTimeout(() => {
      req.off("data", onData);
      reject(new BodyTooSlow());
    }, deadlineMs);
    const onData = (c: Buffer): void => {
      size += c.length;
      if (size > limit) {
        clearTimeout(timer);
        req.off("data", onData);
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    };
    req.on("data", onData);
    req.on("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks, size));
    });
    req.on("error", () => reject(new ClientGone()));
    req.on("close", () => {
      clearTimeout(timer);
      if (!req.complete) reject(new ClientGone());
    });
  });
}

const tooLarge = (): HttpError => new HttpError("too_large", "request body too large");

/** How long a connection keeps draining an oversized upload after its 413. */
const LINGER_MS = 5_000;

/**
 * After an early 413 (a lingering close): a client may still be uploading the body we refused. Closing
 * at once would make the kernel answer its data with a reset, which can destroy the 413 before the
 * client reads it (EPIPE instead of `too_large`). So the rest of the body is read and discarded —
 * never stored — and the connection is dropped only if it has not arrived within LINGER_MS.
 */
function drainRefusedBody(req: IncomingMessage): void {
  const socket = req.socket;
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  req.removeAllListeners("data");
  req.on("data", () => undefined);
  // Once the whole body has arrived the connection is an ordinary keep-alive one again.
  req.once("end", () => clearTimeout(timer));
  req.resume();
}

function send(res: ServerResponse, status: number, body: JsonValue, headers: Record<string, string> = {}): void {
  const text = stringify(body);
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

function errorBody(e: HttpError): JsonValue {
  return e.detail === undefined ? { error: e.message, code: e.code } : { error: e.message, code: e.code, detail: e.detail };
}

function parseBody(bytes: Buffer): JsonValue {
  let body: JsonValue;
  try {
    body = parseJsonBytes(bytes);
  } catch (e) {
    if (e instanceof JsonSyntaxError) throw badRequest("malformed JSON", e.message);
    throw e;
  }
  if (!isObject(body)) throw badRequest("malformed JSON", "the top level must be an object");
  return body;
}

const LOGIN_ROUTES = new Set(["/api/auth/keypair/challenge", "/api/auth/keypair/token"]);

async function dispatch(app: App, req: IncomingMessage, res: ServerResponse, found: { route: Route; params: string[] }): Promise<JsonValue> {
  const { route: r, params } = found;
  if (LOGIN_ROUTES.has(r.template)) {
    const wait = app.loginLimiter.take(clientAddress(req), app.now());
    if (wait > 0) throw rateLimited(wait);
  }
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > app.config.maxBodyBytes) throw tooLarge();
  const caller = r.auth ? bearer(app, req) : "";
  let body: JsonValue = null;
  // Every route but the two public documents reads (and so size-checks) its body; GET ignores it.
  if (r.method === "POST" || r.auth) {
    // A client that asked `Expect: 100-continue` is invited to send its body only now, after the
    // route, method, size and token checks (so a 413 or 401 costs it no upload).
    if (req.headers.expect?.toLowerCase() === "100-continue") res.writeContinue();
    let bytes: Buffer;
    try {
      const expected = declared === undefined ? app.config.maxBodyBytes : Number(declared);
      bytes = await readBody(req, app.config.maxBodyBytes, bodyDeadlineMs(app.config, expected));
    } catch (e) {
      if (e instanceof BodyTooLarge) throw tooLarge();
      // The rest of a late body is never read: the connection closes after the 408.
      if (e instanceof BodyTooSlow) throw new HttpError("request_timeout", "the request body did not arrive in time", undefined, { Connection: "close" });
      throw e;
    }
    if (r.method === "POST") body = parseBody(bytes);
  }
  // The handler runs synchronously: what it reads and writes is attributable to this request, which
  // is answered only once that state is durable (a no-op for the in-memory store).
  app.store.startObserving();
  let answer: JsonValue = null;
  let failure: unknown = null;
  try {
    answer = r.handle({ app, req, caller }, params, body);
  } catch (e) {
    failure = e;
  }
  await app.store.durable(app.store.observedGeneration());
  if (failure !== null) throw failure;
  return answer;
}

export function createServer(app: App): Server {
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    const rawPath = (req.url ?? "/").split("?")[0] as string;
    const segments = rawPath.startsWith("/") ? rawPath.split("/").slice(1) : [];
    let template = "(unknown)";
    // One line per request: method, route template (never raw ids), status, code, duration.
    const log = (status: number, code: string | null): void => {
      if (!app.config.log) return;
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      process.stdout.write(`${JSON.stringify({ method: req.method, route: template, status, code, ms: Math.round(ms * 100) / 100 })}\n`);
    };
    const finish = (status: number, body: JsonValue, headers: Record<string, string>, code: string | null): void => {
      send(res, status, body, headers);
      log(status, code);
    };
    const fail = (e: unknown): void => {
      if (e instanceof ClientGone) return log(499, "client_closed");
      if (e instanceof HttpError) {
        // An oversized body is answered unread, then drained so the client can read the answer.
        if (e.code === "too_large") drainRefusedBody(req);
        finish(e.status, errorBody(e), { ...e.headers }, e.code);
      } else {
        process.stderr.write(`internal error on ${template}: ${(e as Error)?.stack ?? String(e)}\n`);
        finish(500, { error: "internal server error", code: "server_error" }, { Connection: "close" }, "server_error");
      }
    };
    const candidates = ROUTES.map((r) => ({ route: r, params: r.match(segments) })).filter(
      (c): c is { route: Route; params: string[] } => c.params !== null,
    );
    // node:http keeps at most maxHeaders + 1 of them (connections.ts): more means too many.
    if (req.rawHeaders.length / 2 > app.config.maxHeaders) {
      return fail(new HttpError("headers_too_large", "too many header fields", undefined, { Connection: "close" }));
    }
    if (candidates.length === 0) return fail(new HttpError("not_found", "no such route"));
    template = candidates[0]?.route.template ?? template;
    const found = candidates.find((c) => c.route.method === req.method);
    if (found === undefined) {
      const allow = [...new Set(candidates.map((c) => c.route.method))].join(", ");
      return fail(new HttpError("method_not_allowed", "method not allowed", undefined, { Allow: allow }));
    }
    dispatch(app, req, res, found).then((body) => finish(200, body, {}, null), fail);
  };
  const server = createHttpServer(serverOptions(app.config), onRequest);
  limitConnections(server, app.config);
  // Without this listener Node answers `100 Continue` before the request is even routed.
  server.on("checkContinue", onRequest);
  server.on("clientError", (err: NodeJS.ErrnoException, socket: Socket) => {
    const answered = answerClientError(err, socket);
    if (answered !== null && app.config.log) {
      process.stdout.write(`${JSON.stringify({ method: null, route: "(unparsed)", ...answered, ms: null })}\n`);
    }
  });
  return server;
}
