// Test support: a real server on a free port, a raw JSON caller, logins and request bodies built
// with the client's real crypto.

import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { Config, DEFAULTS } from "../config";
import { encodeStd } from "../b64";
import { encryptPayload, wrapDataKey } from "../envelope";
import { Identity } from "../identity";
import { App, createServer, newApp } from "../server";
import { Store } from "../store";
import { Issuer } from "../tokens";

export const REPO_ROOT = resolve(__dirname, "../../../../..");
export const SHARED_DIR = process.env["AVP_SHARED_DIR"] ?? join(REPO_ROOT, "..", "shared");

/** Path of a file under ../shared, or a skip reason when it is absent. */
export function sharedFile(rel: string): { path: string; skip: false } | { path: null; skip: string } {
  const path = join(SHARED_DIR, rel);
  return existsSync(path) ? { path, skip: false } : { path: null, skip: `${path} not present` };
}

export interface Running {
  url: string;
  app: App;
  close(): Promise<void>;
}

export async function startServer(over: Partial<Config> = {}, store?: Store, clock?: () => number): Promise<Running> {
  const config: Config = { ...DEFAULTS, port: 0, log: false, ...over };
  const st = store ?? Store.inMemory(Issuer.freshSeed());
  const app: App = newApp(config, st, clock);
  const server = createServer(app);
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    close: () =>
      new Promise<void>((ok) => {
        server.close(() => ok());
        server.closeAllConnections();
      }),
  };
}

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // parsed JSON of any shape
}

export async function call(url: string, method: string, path: string, body?: unknown, token?: string): Promise<Reply> {
  const headers: Record<string, string> = {};
  if (token !== undefined) headers["Authorization"] = `Bearer ${token}`;
  let payload: string | undefined;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    payload = typeof body === "string" ? body : JSON.stringify(body);
  }
  const res = await fetch(url + path, { method, headers, body: payload });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === "" ? null : JSON.parse(text) };
}

export async function login(url: string, id: Identity): Promise<string> {
  const ch = await call(url, "POST", "/api/auth/keypair/challenge", { ed25519PublicKey: id.memberId });
  const sig = id.sign(Buffer.from(ch.body.nonce, "base64"));
  const tok = await call(url, "POST", "/api/auth/keypair/token", {
    ed25519PublicKey: id.memberId,
    nonce: ch.body.nonce,
    signature: encodeStd(sig),
  });
  if (tok.status !== 200) throw new Error(`login failed: ${JSON.stringify(tok.body)}`);
  return tok.body.token as string;
}

export function memberEntry(id: Identity, dataKey: Buffer, keyEpoch: number): Record<string, unknown> {
  return {
    ed25519PublicKey: id.memberId,
    x25519PublicKey: id.x25519PublicB64,
    wrappedDataKey: wrapDataKey(dataKey, id.x25519Public),
    keyEpoch,
  };
}

export function envelope(dataKey: Buffer, repoId: string, payloadVersion: number, keyEpoch: number, alts: unknown[] = []) {
  const pt = Buffer.from(JSON.stringify({ alts, payloadVersion }), "utf8");
  const { iv, ciphertext } = encryptPayload(dataKey, repoId, payloadVersion, keyEpoch, pt);
  return { repoId, payloadVersion, keyEpoch, iv: encodeStd(iv), ciphertext: encodeStd(ciphertext) };
}

export function createBody(owner: Identity, repoId: string = randomUUID(), extra: Record<string, unknown> = {}) {
  const dataKey = randomBytes(32);
  return {
    dataKey,
    repoId,
    body: {
      manifest: {
        repoId,
        schemeId: "X25519-HKDF-SHA256-AESGCM-v1",
        keyEpoch: 0,
        payloadVersion: 1,
        members: [memberEntry(owner, dataKey, 0)],
        ...extra,
      },
      initialEnvelope: envelope(dataKey, repoId, 1, 0),
    },
  };
}

/** Log in and create a repository; returns what later requests need. */
export async function newRepo(url: string, owner: Identity, repoId?: string) {
  const token = await login(url, owner);
  const c = createBody(owner, repoId);
  const r = await call(url, "POST", "/v1/repos", c.body, token);
  if (r.status !== 200) throw new Error(`create failed: ${JSON.stringify(r.body)}`);
  return { token, repoId: c.repoId, dataKey: c.dataKey, path: `/v1/repos/${encodeURIComponent(c.repoId)}` };
}
