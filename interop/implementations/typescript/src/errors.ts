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
  | "too_large"
  | "quota_exceeded";

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
  too_large: 413,
  quota_exceeded: 429,
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

export const badRequest = (message: string, detail?: string): HttpError =>
  new HttpError("bad_request", message, detail);
