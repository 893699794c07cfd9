// The payload plaintext rules (payload-parse.json), re-stated for Node: a strict JSON reader (JSON.parse
// keeps the last of duplicate keys, rounds large numbers and reorders integer-like keys, so it cannot
// be used for these checks) and the canonical serializer.
import { Rejected } from "./errors";

const MAX_DEPTH = 32;
const MAX_COUNTER = 2n ** 53n - 1n;
const ALT_TYPES = ["MICROSOFT", "COOKIE", "SESSION", "OFFLINE"];
const ALT_KNOWN = new Set([
  "uuid",
  "username",
  "accessToken",
  "type",
  "lastUsed",
  "refreshToken",
  "expiresAt",
  "lastUsedBy",
  "bans",
  "ban",
  "sourceClient",
  "sourceUser",
]);

/** A JSON number kept as written. */
class JNum {
  constructor(readonly raw: string) {}
  get integer(): boolean {
    return !/[.eE]/.test(this.raw);
  }
}

/** A JSON object with its members in input order. */
class JObj {
  constructor(readonly members: [string, J][]) {}
  get(key: string): J | undefined {
    return this.members.find(([k]) => k === key)?.[1];
  }
}

type J = null | boolean | string | JNum | JObj | J[];

function invalid(): never {
  throw new Rejected("invalid_encoding");
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

function parseStrict(text: string): J {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i] ?? "x")) i++;
  };
  const str = (): string => {
    const start = i++;
    for (;;) {
      const c = text.charCodeAt(i);
      if (Number.isNaN(c) || c < 0x20) invalid();
      if (c === 0x22) break;
      if (c !== 0x5c) {
        i++;
      } else if ('"\\/bfnrt'.includes(text[i + 1] ?? "x")) {
        i += 2;
      } else if (text[i + 1] === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
        i += 6;
      } else {
        invalid();
      }
    }
    i++;
    const value: string = JSON.parse(text.slice(start, i));
    // The text itself is well-formed UTF-16 (fatal UTF-8 decoding), so a lone surrogate can only
    // come from an escape.
    for (let k = 0; k < value.length; k++) {
      const u = value.charCodeAt(k);
      if (u >= 0xd800 && u <= 0xdbff) {
        const next = value.charCodeAt(k + 1);
        if (!(next >= 0xdc00 && next <= 0xdfff)) invalid();
        k++;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        invalid();
      }
    }
    return value;
  };
  const value = (depth: number): J => {
    ws();
    const ch = text[i];
    if (ch === "{" || ch === "[") {
      if (depth > MAX_DEPTH) invalid();
      i++;
      const close = ch === "{" ? "}" : "]";
      const members: [string, J][] = [];
      const items: J[] = [];
      ws();
      if (text[i] === close) {
        i++;
      } else {
        for (;;) {
          ws();
          if (ch === "{") {
            if (text[i] !== '"') invalid();
            const key = str();
            if (members.some(([k]) => k === key)) invalid();
            ws();
            if (text[i++] !== ":") invalid();
            members.push([key, value(depth + 1)]);
          } else {
            items.push(value(depth + 1));
          }
          ws();
          const sep = text[i++];
          if (sep === close) break;
          if (sep !== ",") invalid();
        }
      }
      return ch === "{" ? new JObj(members) : items;
    }
    if (ch === '"') return str();
    NUMBER.lastIndex = i;
    const number = NUMBER.exec(text);
    if (number !== null) {
      i += number[0].length;
      return new JNum(number[0]);
    }
    for (const [word, v] of [
      ["true", true],
      ["false", false],
      ["null", null],
    ] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v;
      }
    }
    return invalid();
  };
  const out = value(1);
  ws();
  if (i !== text.length) invalid();
  return out;
}

function counter(v: J | undefined): bigint {
  if (!(v instanceof JNum)) invalid();
  if (!v.integer) throw new Rejected("counter_out_of_range");
  const n = BigInt(v.raw);
  if (n < 0n || n > MAX_COUNTER) throw new Rejected("counter_out_of_range");
  return n;
}

function optCounter(v: J | undefined): bigint | undefined {
  return v === undefined || v === null ? undefined : counter(v);
}

function text(v: J | undefined): string {
  if (typeof v !== "string") invalid();
  return v;
}

function optText(v: J | undefined): string | undefined {
  return v === undefined || v === null ? undefined : text(v);
}

/** Minified JSON, numbers as written. */
function write(v: J): string {
  if (v instanceof JNum) return v.raw;
  if (v instanceof JObj) return `{${v.members.map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`).join(",")}}`;
  if (Array.isArray(v)) return `[${v.map(write).join(",")}]`;
  return JSON.stringify(v);
}

function ban(v: J | undefined): string {
  if (!(v instanceof JObj) || typeof v.get("banned") !== "boolean") invalid();
  const fields = [
    `"banned":${v.get("banned")}`,
    `"observedAt":${counter(v.get("observedAt"))}`,
    `"source":${JSON.stringify(text(v.get("source")))}`,
    `"detail":${JSON.stringify(text(v.get("detail")))}`,
  ];
  const by = optText(v.get("observedBy"));
  if (by !== undefined) fields.push(`"observedBy":${JSON.stringify(by)}`);
  return `{${fields.join(",")}}`;
}

function alt(v: J, shareRefreshTokens: boolean): string {
  if (!(v instanceof JObj)) invalid();
  const out = v.members.filter(([k]) => !ALT_KNOWN.has(k)).map(([k, x]) => `${JSON.stringify(k)}:${write(x)}`);
  for (const key of ["uuid", "username", "accessToken"]) out.push(`"${key}":${JSON.stringify(text(v.get(key)))}`);
  const type = v.get("type");
  if (typeof type !== "string" || !ALT_TYPES.includes(type)) invalid();
  out.push(`"type":"${type}"`, `"lastUsed":${counter(v.get("lastUsed"))}`);
  const refresh = optText(v.get("refreshToken"));
  const expires = optCounter(v.get("expiresAt"));
  if (shareRefreshTokens && refresh !== undefined) out.push(`"refreshToken":${JSON.stringify(refresh)}`);
  if (shareRefreshTokens && expires !== undefined) out.push(`"expiresAt":${expires}`);
  for (const key of ["lastUsedBy", "sourceClient", "sourceUser"]) {
    const value = optText(v.get(key));
    if (value !== undefined) out.push(`"${key}":${JSON.stringify(value)}`);
  }
  const bans = v.get("bans");
  if (bans !== undefined && bans !== null && !(bans instanceof JObj)) invalid();
  const written: [string, string][] = bans instanceof JObj ? bans.members.map(([k, b]) => [k, ban(b)]) : [];
  const legacy = v.get("ban");
  if (legacy !== undefined && legacy !== null) {
    const entry = ban(legacy);
    // An explicit "unknown" entry of the map wins over the legacy field.
    if (!written.some(([k]) => k === "unknown")) written.push(["unknown", entry]);
  }
  if (bans instanceof JObj || (legacy !== undefined && legacy !== null)) {
    out.push(`"bans":{${written.map(([k, b]) => `${JSON.stringify(k)}:${b}`).join(",")}}`);
  }
  return `{${out.join(",")}}`;
}

export interface Canonical {
  json: string;
  payloadVersion: number;
  altCount: number;
}

/** Parse a payload plaintext strictly and write it canonically, or throw Rejected. */
export function canonicalPayload(plaintext: Uint8Array, shareRefreshTokens: boolean): Canonical {
  let source: string;
  try {
    source = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(plaintext);
  } catch {
    return invalid();
  }
  const doc = parseStrict(source);
  if (!(doc instanceof JObj)) invalid();
  const alts = doc.get("alts");
  if (!Array.isArray(alts)) invalid();
  const written = alts.map((a) => alt(a, shareRefreshTokens));
  const version = counter(doc.get("payloadVersion"));
  return {
    json: `{"alts":[${written.join(",")}],"payloadVersion":${version}}`,
    payloadVersion: Number(version),
    altCount: alts.length,
  };
}
