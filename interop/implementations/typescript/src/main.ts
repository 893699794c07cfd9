// `npm start`: configure from the environment, open the state, listen.

import { ConfigError, configFromEnv } from "./config";
import { createServer, newApp } from "./server";
import { DatabaseError, SqliteBackend } from "./sqlitestore";
import { readStateFile, StateFileError } from "./statefile";
import { Store } from "./store";
import { Issuer } from "./tokens";

// A failed commit loses what the open transaction answered from: stop, and let a restart reload.
function fatal(e: unknown): void {
  process.stderr.write(`avp-server-ts: cannot write the database, stopping: ${(e as Error)?.message ?? String(e)}\n`);
  process.exit(1);
}

function main(): void {
  let config;
  let store: Store;
  try {
    config = configFromEnv(process.env);
    const legacy = config.stateFile;
    // A new database is seeded from the legacy state file when one is named (read only then).
    store =
      config.dbFile === null
        ? Store.inMemory(Issuer.freshSeed())
        : Store.durable(new SqliteBackend(config.dbFile, legacy === null ? undefined : () => readStateFile(legacy)), fatal);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof StateFileError || e instanceof DatabaseError) {
      process.stderr.write(`avp-server-ts: ${e.message}\n`);
      process.exit(2);
    }
    throw e;
  }
  const cfg = config;
  const server = createServer(newApp(cfg, store));
  server.listen(cfg.port, cfg.host, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr !== null ? addr.port : cfg.port;
    process.stderr.write(`avp-server-ts listening on http://${cfg.host}:${port}${store.isDurable ? " (SQLite)" : " (in-memory state)"}\n`);
  });
  const stop = (): void => {
    server.close(() => {
      store.close();
      process.exit(0);
    });
    server.closeAllConnections();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main();
