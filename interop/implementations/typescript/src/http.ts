// The client's HTTP transport: JSON in, JSON out, every failure a ClientError with the server's
// `code` (or one derived from the status) and the HTTP status.

import { ClientError } from "./clienterror";

const BY_STATUS: Record<number, string> = {
  400: "bad_request",
  401: "unauthorized",
  403: "forbidden",
  404: "not_found",
  405: "method_not_allowed",
  409: "conflict",
  413: "too_large",
  429: "quota_exceeded",
};

export type Json = any; // a parsed server answer; callers check the fields they use

export async function request(server: string, method: "GET" | "POST", path: string, body?: unknown, token?: string): Promise<Json> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (token !== undefined) headers["Authorization"] = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let res: Response;
  let text: string;
  try {
    res = await fetch(server + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    text = await res.text();
  } catch (e) {
    throw new ClientError("transport_error", `${method} ${path}: ${(e as Error).message}`);
  }
  let parsed: Json = null;
  try {
    parsed = text === "" ? null : JSON.parse(text);
  } catch {
    if (res.ok) throw new ClientError("protocol_error", `${method} ${path}: the answer is not JSON`, res.status);
  }
  if (res.ok) {
    if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
      throw new ClientError("protocol_error", `${method} ${path}: the answer is not a JSON object`, res.status);
    }
    return parsed;
  }
  const code = typeof parsed?.code === "string" ? parsed.code : (BY_STATUS[res.status] ?? (res.status >= 500 ? "server_error" : "protocol_error"));
  const message = typeof parsed?.error === "string" ? parsed.error : `HTTP ${res.status}`;
  throw new ClientError(code, `${method} ${path}: ${message}`, res.status);
}

/** `/v1/repos/<percent-encoded repoId>` — `+`, `/`, `=` and everything else outside unreserved escaped. */
export const repoPath = (repoId: string): string => `/v1/repos/${encodeURIComponent(repoId)}`;
