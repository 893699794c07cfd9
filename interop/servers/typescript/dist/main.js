"use strict";
// `npm start`: configure from the environment, open the state, listen.
Object.defineProperty(exports, "__esModule", { value: true });
const config_1 = require("./config");
const nonces_1 = require("./nonces");
const server_1 = require("./server");
const store_1 = require("./store");
const tokens_1 = require("./tokens");
// A failed write to the state file leaves memory ahead of the disk: stop, and let a restart reload.
function fatal(e) {
    process.stderr.write(`avp-server-ts: cannot write the state file, stopping: ${e?.message ?? String(e)}\n`);
    process.exit(1);
}
async function main() {
    let config;
    let store;
    try {
        config = (0, config_1.configFromEnv)(process.env);
        store = config.stateFile === null ? store_1.Store.inMemory(tokens_1.Issuer.freshSeed()) : await store_1.Store.open(config.stateFile, tokens_1.Issuer.freshSeed(), fatal);
    }
    catch (e) {
        if (e instanceof config_1.ConfigError || e instanceof store_1.StateFileError) {
            process.stderr.write(`avp-server-ts: ${e.message}\n`);
            process.exit(2);
        }
        throw e;
    }
    const cfg = config;
    const app = {
        config: cfg,
        store,
        issuer: new tokens_1.Issuer(store.signingSeed, cfg.tokenTtlSeconds),
        nonces: new nonces_1.NonceBook(cfg.nonceTtlSeconds),
        now: () => Date.now(),
    };
    const server = (0, server_1.createServer)(app);
    server.listen(cfg.port, cfg.host, () => {
        const addr = server.address();
        const port = typeof addr === "object" && addr !== null ? addr.port : cfg.port;
        process.stderr.write(`avp-server-ts listening on http://${cfg.host}:${port}${cfg.stateFile ? " (durable state)" : " (in-memory state)"}\n`);
    });
    const stop = () => {
        server.close(() => process.exit(0));
        server.closeAllConnections();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
}
void main();
