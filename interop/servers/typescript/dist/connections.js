"use strict";
// Connection hygiene (issue 11): what node:http enforces before a request reaches our routes, and
// the contract's JSON error for what its parser refuses on its own.
Object.defineProperty(exports, "__esModule", { value: true });
exports.bodyDeadlineMs = bodyDeadlineMs;
exports.serverOptions = serverOptions;
exports.limitConnections = limitConnections;
exports.answerClientError = answerClientError;
/** How often node:http looks for connections past headersTimeout / requestTimeout (default 30 s). */
const TIMEOUT_CHECK_MS = 1_000;
/** The longest a request's body may take to arrive: the header allowance plus size / minimum rate. */
function bodyDeadlineMs(config, bytes) {
    return config.headerTimeoutSeconds * 1000 + Math.ceil((bytes / config.bodyMinBytesPerSecond) * 1000);
}
/** The node:http server options that bound header size, header time, whole-request time and idle time. */
function serverOptions(config) {
    return {
        maxHeaderSize: config.maxHeaderBytes,
        headersTimeout: config.headerTimeoutSeconds * 1000,
        // The backstop for the largest allowed body; dispatch enforces the tighter per-size deadline.
        requestTimeout: bodyDeadlineMs(config, config.maxBodyBytes) + TIMEOUT_CHECK_MS,
        keepAliveTimeout: config.idleTimeoutSeconds * 1000,
        connectionsCheckingInterval: TIMEOUT_CHECK_MS,
    };
}
/** How long a refused connection may take to read its 503 before it is dropped. */
const REFUSED_LINGER_MS = 1_000;
/**
 * The limits that are not node:http options: the header count, and the cap on open connections —
 * beyond it a new connection gets 503 `overloaded` and is closed; established ones are untouched.
 */
function limitConnections(server, config) {
    // One more than allowed, so that a request with too many headers is seen (and refused: 431).
    server.maxHeadersCount = config.maxHeaders + 1;
    let open = 0;
    // Ahead of node:http's own listener, so a refused connection is never read.
    server.prependListener("connection", (socket) => {
        if (open >= config.maxConnections) {
            socket.pause();
            socket.end(rawResponse(503, "overloaded", "too many open connections; retry later"));
            setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
            return;
        }
        open++;
        socket.once("close", () => open--);
    });
}
const REASONS = {
    400: "Bad Request",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
};
/** A complete HTTP/1.1 response with the contract's JSON error body, closing the connection. */
function rawResponse(status, code, message) {
    const body = JSON.stringify({ error: message, code });
    return (`HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `Connection: close\r\n\r\n${body}`);
}
/** The status, code and message for an error of node:http's parser or timers. */
function classify(code) {
    if (code === "HPE_HEADER_OVERFLOW")
        return [431, "headers_too_large", "request header fields too large"];
    if (code === "ERR_HTTP_REQUEST_TIMEOUT")
        return [408, "request_timeout", "the request did not arrive in time"];
    return [400, "bad_request", "malformed HTTP request"];
}
/**
 * node:http's `clientError`: answer with the contract's JSON body instead of its empty default,
 * then close. Returns what was sent (null when the socket could not be answered).
 */
function answerClientError(err, socket) {
    // A reset, or a response already under way on this connection: nothing sensible can be written.
    const busy = socket._httpMessage?.headersSent === true;
    if (err.code === "ECONNRESET" || !socket.writable || busy) {
        socket.destroy();
        return null;
    }
    const [status, code, message] = classify(err.code);
    socket.end(rawResponse(status, code, message));
    return { status, code };
}
