// `npm start`: configure from the environment, open the state, listen.

import { ConfigError, configFromEnv } from "./config";
import { NonceBook } from "./nonces";
import { createServer } from "./server";
import { StateFileError, Store } from "./store";
import { Issuer } from "./tokens";

// A failed write to the state file leaves memory ahead of the disk: stop, and let a restart reload.
function fatal(e: unknown): void {
  process.stderr.write(`avp-server-ts: cannot write the state file, stopping: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let config;
  let store: Store;
  try {
    config = configFromEnv(process.env);
    store = config.stateFile === null ? Store.inMemory(Issuer.freshSeed()) : await Store.open(config.stateFile, Issuer.freshSeed(), fatal);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StateFileError) {
      process.stderr.write(`avp-server-ts: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const cfg = config;
  const app = {
    config: cfg,
    store,
    issuer: new Issuer(store.signingSeed, cfg.tokenTtlSeconds),
    nonces: new NonceBook(cfg.nonceTtlSeconds),
    now: () => Date.now(),
  };
  const server = createServer(app);
  server.listen(cfg.port, cfg.host, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : cfg.port;
    process.stderr.write(`avp-server-ts listening on http://${cfg.host}:${port}${cfg.stateFile ? " (durable state)" : " (in-memory state)"}\n`);
  });
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

void main();
