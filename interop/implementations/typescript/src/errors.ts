// The project's error vocabulary as the server speaks it: every non-2xx answer is an HttpError
// with a stable `code` (see docs/wire-contract.md §1 and bindings/avp-py/python/avp/errors.py).

export type ErrorCode =
  | "bad_request"
  | "unauthorized"
  | "forbidden"
  | "policy_denied"
  | "not_found"
  | "method_not_allowed"
  | "duplicate_repo"
  | "duplicate_member"
  | "version_conflict"
  | "request_timeout"
  | "too_large"
  | "quota_exceeded"
  | "rate_limited"
  | "headers_too_large"
  | "storage_full";

const STATUS: Record<ErrorCode, number> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  policy_denied: 403,
  not_found: 404,
  method_not_allowed: 405,
  duplicate_repo: 409,
  duplicate_member: 409,
  version_conflict: 409,
  request_timeout: 408,
  too_large: 413,
  quota_exceeded: 429,
  rate_limited: 429,
  headers_too_large: 431,
  storage_full: 507,
};

export class HttpError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly detail?: string,
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = STATUS[code];
    this.headers = headers;
  }
}

/** 429 rate_limited: this client address must wait `seconds` before its next such request. */
export const rateLimited = (seconds: number): HttpError =>
  new HttpError("rate_limited", "too many requests from this address", undefined, { "Retry-After": String(seconds) });

export const badRequest = (message: string, detail?: string): HttpError =>
  new HttpError("bad_request", message, detail);
