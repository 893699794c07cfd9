// The TypeScript client actor (docs/actor-contract.md): JSON requests on stdin, one JSON reply
// per line on stdout, strictly in order; diagnostics go to stderr only.

import { createInterface } from "node:readline";
import { ClientError } from "./clienterror";
import { Session } from "./session";
import { verifyVectorDir } from "./vectorcheck";
import { VERSION } from "./version";

type Handler = (s: Session, args: any) => unknown; // args: the request's JSON object

const OPS: Record<string, Handler> = {
  hello: () => ({ name: "avp-actor-ts", language: "typescript", version: VERSION, ops: [...Object.keys(OPS), "shutdown"] }),
  identity: (s, a) => s.setIdentity(a),
  authenticate: async (s, a) => {
    if (typeof a?.server !== "string") throw new ClientError("bad_request", "args.server must be a string");
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
    if (typeof a?.dir !== "string") throw new ClientError("bad_request", "args.dir must be a string");
    return { files: verifyVectorDir(a.dir) };
  },
};

function reply(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function errorOf(e: unknown): { code: string; message: string; status: number | null } {
  if (e instanceof ClientError) return { code: e.code, message: e.message, status: e.status };
  process.stderr.write(`actor: unexpected error: ${(e as Error)?.stack ?? String(e)}\n`);
  return { code: "avp_error", message: (e as Error)?.message ?? String(e), status: null };
}

async function main(): Promise<void> {
  const session = new Session();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    let req: any;
    try {
      req = JSON.parse(line);
    } catch {
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
    } catch (e) {
      reply({ id, ok: false, error: errorOf(e) });
    }
  }
  process.exit(0);
}

void main();
