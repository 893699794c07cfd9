"use strict";
// `npm start`: configure from the environment, open the state, listen.
Object.defineProperty(exports, "__esModule", { value: true });
const config_1 = require("./config");
const server_1 = require("./server");
const sqlitestore_1 = require("./sqlitestore");
const statefile_1 = require("./statefile");
const store_1 = require("./store");
const tokens_1 = require("./tokens");
// A failed commit loses what the open transaction answered from: stop, and let a restart reload.
function fatal(e) {
    process.stderr.write(`avp-server-ts: cannot write the database, stopping: ${e?.message ?? String(e)}\n`);
    process.exit(1);
}
function main() {
    let config;
    let store;
    try {
        config = (0, config_1.configFromEnv)(process.env);
        const legacy = config.stateFile;
        // A new database is seeded from the legacy state file when one is named (read only then).
        store =
            config.dbFile === null
                ? store_1.Store.inMemory(tokens_1.Issuer.freshSeed())
                : store_1.Store.durable(new sqlitestore_1.SqliteBackend(config.dbFile, legacy === null ? undefined : () => (0, statefile_1.readStateFile)(legacy)), fatal);
    }
    catch (e) {
        if (e instanceof config_1.ConfigError || e instanceof statefile_1.StateFileError || e instanceof sqlitestore_1.DatabaseError) {
            process.stderr.write(`avp-server-ts: ${e.message}\n`);
            process.exit(2);
        }
        throw e;
    }
    const cfg = config;
    const server = (0, server_1.createServer)((0, server_1.newApp)(cfg, store));
    server.listen(cfg.port, cfg.host, () => {
        const addr = server.address();
        const port = typeof addr === "object" && addr !== null ? addr.port : cfg.port;
        process.stderr.write(`avp-server-ts listening on http://${cfg.host}:${port}${store.isDurable ? " (SQLite)" : " (in-memory state)"}\n`);
    });
    const stop = () => {
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
