"use strict";
// The TypeScript client actor (docs/actor-contract.md): JSON requests on stdin, one JSON reply
// per line on stdout, strictly in order; diagnostics go to stderr only.
Object.defineProperty(exports, "__esModule", { value: true });
const node_readline_1 = require("node:readline");
const clienterror_1 = require("./clienterror");
const session_1 = require("./session");
const vectorcheck_1 = require("./vectorcheck");
const version_1 = require("./version");
const OPS = {
    hello: () => ({ name: "avp-actor-ts", language: "typescript", version: version_1.VERSION, ops: [...Object.keys(OPS), "shutdown"] }),
    identity: (s, a) => s.setIdentity(a),
    authenticate: async (s, a) => {
        if (typeof a?.server !== "string")
            throw new clienterror_1.ClientError("bad_request", "args.server must be a string");
        return { expiresAt: (await s.authenticate(a.server)).expiresAt };
    },
    create_repo: (s, a) => s.createRepo(a),
    pull: (s, a) => s.pull(a),
    push: (s, a) => s.push(a),
    update: (s, a) => s.update(a),
    add_member: (s, a) => s.addMember(a),
    remove_member: (s, a) => s.removeMember(a),
    fetch_member: (s, a) => s.fetchMember(a),
    key_binding: (s, a) => s.keyBinding(a),
    locator: (s, a) => s.locator(a),
    join: (s, a) => s.join(a),
    open_envelope: (s, a) => s.openEnvelope(a),
    verify_vectors: (_s, a) => {
        if (typeof a?.dir !== "string")
            throw new clienterror_1.ClientError("bad_request", "args.dir must be a string");
        return { files: (0, vectorcheck_1.verifyVectorDir)(a.dir) };
    },
};
function reply(line) {
    process.stdout.write(`${JSON.stringify(line)}\n`);
}
function errorOf(e) {
    if (e instanceof clienterror_1.ClientError)
        return { code: e.code, message: e.message, status: e.status };
    process.stderr.write(`actor: unexpected error: ${e?.stack ?? String(e)}\n`);
    return { code: "avp_error", message: e?.message ?? String(e), status: null };
}
async function main() {
    const session = new session_1.Session();
    const lines = (0, node_readline_1.createInterface)({ input: process.stdin, crlfDelay: Infinity });
    for await (const line of lines) {
        if (line.trim() === "")
            continue;
        let req;
        try {
            req = JSON.parse(line);
        }
        catch {
            reply({ id: null, ok: false, error: { code: "bad_request", message: "request is not JSON", status: null } });
            continue;
        }
        const id = req?.id ?? null;
        if (req?.op === "shutdown") {
            reply({ id, ok: true, result: {} });
            break;
        }
        const handler = typeof req?.op === "string" ? OPS[req.op] : undefined;
        if (handler === undefined) {
            reply({ id, ok: false, error: { code: "unsupported", message: `op ${String(req?.op)} is not implemented`, status: null } });
            continue;
        }
        try {
            reply({ id, ok: true, result: await handler(session, req.args ?? {}) });
        }
        catch (e) {
            reply({ id, ok: false, error: errorOf(e) });
        }
    }
    process.exit(0);
}
void main();
