"use strict";
// Client-side failures with the project's codes (avp/errors.py), as the actor reports them.
Object.defineProperty(exports, "__esModule", { value: true });
exports.ClientError = void 0;
class ClientError extends Error {
    code;
    status;
    constructor(code, message, status = null) {
        super(message);
        this.code = code;
        this.status = status;
    }
}
exports.ClientError = ClientError;
