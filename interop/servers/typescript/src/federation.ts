// Federation tokens and addresses (protocol notes §7): invite requests and repo locators are
// base64url (no padding) over minified JSON written in the spec's member order and read in any
// order; an address is avp://<host[:port]>/<repoId> with the repoId everything after the first '/'.

import { decodeStd, decodeUrl, encodeUrl } from "./b64";
import { ClientError } from "./clienterror";
import { checkCounter } from "./envelope";
import { isObject, JsonObject, parseJson, RawNumber } from "./json";

export interface Invite {
  ed25519PublicKey: string;
  x25519PublicKey: string;
}

export interface Locator {
  host: string;
  repoId: string;
  schemeId?: string;
  keyEpoch?: number;
  issuerJwksUrl?: string;
}

const invalid = (what: string): ClientError => new ClientError("invalid_encoding", what);

function decodeToken(token: string): JsonObject {
  const raw = decodeUrl(token);
  if (raw === null) throw invalid("token is not canonical base64url without padding");
  let doc;
  try {
    doc = parseJson(new TextDecoder("utf-8", { fatal: true }).decode(raw));
  } catch {
    throw invalid("token is not UTF-8 JSON");
  }
  if (!isObject(doc) || typeof doc["v"] !== "number") throw invalid("token is not an object with a numeric v");
  if (doc["v"] !== 1) throw new ClientError("unsupported_scheme", `token version ${String(doc["v"])} is not 1`);
  return doc;
}

function key32(doc: JsonObject, name: string): string {
  const v = doc[name];
  const raw = typeof v === "string" ? decodeStd(v) : null;
  if (raw === null || raw.length !== 32) throw invalid(`${name} is not a base64 32-byte key`);
  return v as string;
}

export function encodeInvite(i: Invite): string {
  return encodeUrl(Buffer.from(JSON.stringify({ v: 1, ed25519PublicKey: i.ed25519PublicKey, x25519PublicKey: i.x25519PublicKey })));
}

export function decodeInvite(token: string): Invite {
  const doc = decodeToken(token);
  return { ed25519PublicKey: key32(doc, "ed25519PublicKey"), x25519PublicKey: key32(doc, "x25519PublicKey") };
}

export function encodeLocator(l: Locator): string {
  const doc: Record<string, unknown> = { v: 1, host: l.host, repoId: l.repoId };
  if (l.schemeId !== undefined) doc["schemeId"] = l.schemeId;
  if (l.keyEpoch !== undefined) doc["keyEpoch"] = l.keyEpoch;
  if (l.issuerJwksUrl !== undefined) doc["issuerJwksUrl"] = l.issuerJwksUrl;
  return encodeUrl(Buffer.from(JSON.stringify(doc)));
}

export function decodeLocator(token: string): Locator {
  const doc = decodeToken(token);
  const host = doc["host"];
  const repoId = doc["repoId"];
  if (typeof host !== "string" || host === "" || /[/\s]/.test(host)) throw invalid("locator host is malformed");
  if (typeof repoId !== "string" || repoId === "") throw invalid("locator repoId is malformed");
  const out: Locator = { host, repoId };
  const { schemeId, keyEpoch, issuerJwksUrl } = doc;
  if (schemeId !== undefined) {
    if (typeof schemeId !== "string") throw invalid("locator schemeId is not a string");
    out.schemeId = schemeId;
  }
  if (keyEpoch !== undefined) {
    if (keyEpoch instanceof RawNumber) throw new ClientError("counter_out_of_range", "locator keyEpoch is not an integer in [0, 2^53-1]");
    if (typeof keyEpoch !== "number") throw invalid("locator keyEpoch is not a number");
    out.keyEpoch = checkCounter(keyEpoch, "locator keyEpoch");
  }
  if (issuerJwksUrl !== undefined) {
    if (typeof issuerJwksUrl !== "string") throw invalid("locator issuerJwksUrl is not a string");
    out.issuerJwksUrl = issuerJwksUrl;
  }
  return out;
}

export function formatAddress(host: string, repoId: string): string {
  return `avp://${host}/${repoId}`;
}

export function parseAddress(uri: string): { host: string; repoId: string } {
  const m = /^avp:\/\/([^/\s]+)\/(.+)$/s.exec(uri);
  if (m === null) throw new ClientError("invalid_address", "not an avp://<host>/<repoId> address");
  return { host: m[1] as string, repoId: m[2] as string };
}
