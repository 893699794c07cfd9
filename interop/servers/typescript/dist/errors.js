"use strict";
// The project's error vocabulary as the server speaks it: every non-2xx answer is an HttpError
// with a stable `code` (see docs/wire-contract.md §1 and bindings/avp-py/python/avp/errors.py).
Object.defineProperty(exports, "__esModule", { value: true });
exports.badRequest = exports.rateLimited = exports.HttpError = void 0;
const STATUS = {
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
class HttpError extends Error {
    code;
    detail;
    status;
    headers;
    constructor(code, message, detail, headers = {}) {
        super(message);
        this.code = code;
        this.detail = detail;
        this.status = STATUS[code];
        this.headers = headers;
    }
}
exports.HttpError = HttpError;
/** 429 rate_limited: this client address must wait `seconds` before its next such request. */
const rateLimited = (seconds) => new HttpError("rate_limited", "too many requests from this address", undefined, { "Retry-After": String(seconds) });
exports.rateLimited = rateLimited;
const badRequest = (message, detail) => new HttpError("bad_request", message, detail);
exports.badRequest = badRequest;
