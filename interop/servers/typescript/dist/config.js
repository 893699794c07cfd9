"use strict";
// Server configuration from the environment (wire contract §6 names), validated once at start.
Object.defineProperty(exports, "__esModule", { value: true });
exports.ConfigError = exports.DEFAULTS = void 0;
exports.configFromEnv = configFromEnv;
exports.DEFAULTS = {
    host: "127.0.0.1",
    port: 8787,
    publicUrl: null,
    stateFile: null,
    dbFile: null,
    maxBodyBytes: 2_097_152,
    maxReposPerMember: 1000,
    maxMembersPerRepo: 256,
    nonceTtlSeconds: 120,
    tokenTtlSeconds: 3600,
    maxHeaderBytes: 16_384,
    maxHeaders: 100,
    headerTimeoutSeconds: 10,
    bodyMinBytesPerSecond: 16_384,
    idleTimeoutSeconds: 10,
    maxConnections: 1000,
    loginBurst: 10_000,
    loginPerMinute: 6000,
    createBurst: 1000,
    createPerMinute: 600,
    maxRepos: 1_000_000,
    maxMemberEntries: 10_000_000,
    maxStoredBytes: 10 * 1024 ** 3,
    log: true,
};
class ConfigError extends Error {
}
exports.ConfigError = ConfigError;
function positiveInt(env, name, fallback, min = 1) {
    const raw = env[name];
    if (raw === undefined || raw === "")
        return fallback;
    if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
        throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
    }
    return Number(raw);
}
function configFromEnv(env) {
    const publicUrl = env["AVP_PUBLIC_URL"] || null;
    if (publicUrl !== null && !/^https?:\/\/[^/]+/.test(publicUrl)) {
        throw new ConfigError("AVP_PUBLIC_URL must be an http(s) URL");
    }
    if (env["AVP_STATE_FILE"] && !env["AVP_DB"]) {
        throw new ConfigError("AVP_STATE_FILE is only read to seed a new SQLite database: set AVP_DB as well");
    }
    const int = (name, key, min = 1) => positiveInt(env, name, exports.DEFAULTS[key], min);
    return {
        host: env["HOST"] || exports.DEFAULTS.host,
        port: int("PORT", "port", 0),
        publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ""),
        stateFile: env["AVP_STATE_FILE"] || null,
        dbFile: env["AVP_DB"] || null,
        maxBodyBytes: int("AVP_MAX_BODY_BYTES", "maxBodyBytes"),
        maxReposPerMember: int("AVP_MAX_REPOS_PER_MEMBER", "maxReposPerMember"),
        maxMembersPerRepo: int("AVP_MAX_MEMBERS_PER_REPO", "maxMembersPerRepo"),
        nonceTtlSeconds: int("AVP_NONCE_TTL_SECONDS", "nonceTtlSeconds"),
        tokenTtlSeconds: int("AVP_TOKEN_TTL_SECONDS", "tokenTtlSeconds"),
        maxHeaderBytes: int("AVP_MAX_HEADER_BYTES", "maxHeaderBytes", 1024),
        maxHeaders: int("AVP_MAX_HEADERS", "maxHeaders", 8),
        headerTimeoutSeconds: int("AVP_HEADER_TIMEOUT_SECONDS", "headerTimeoutSeconds"),
        bodyMinBytesPerSecond: int("AVP_MIN_BODY_BYTES_PER_SECOND", "bodyMinBytesPerSecond"),
        idleTimeoutSeconds: int("AVP_IDLE_TIMEOUT_SECONDS", "idleTimeoutSeconds"),
        maxConnections: int("AVP_MAX_CONNECTIONS", "maxConnections"),
        loginBurst: int("AVP_LOGIN_BURST", "loginBurst"),
        loginPerMinute: int("AVP_LOGIN_PER_MINUTE", "loginPerMinute"),
        createBurst: int("AVP_CREATE_BURST", "createBurst"),
        createPerMinute: int("AVP_CREATE_PER_MINUTE", "createPerMinute"),
        maxRepos: int("AVP_MAX_REPOS", "maxRepos"),
        maxMemberEntries: int("AVP_MAX_MEMBER_ENTRIES", "maxMemberEntries"),
        maxStoredBytes: int("AVP_MAX_STORED_BYTES", "maxStoredBytes"),
        log: env["AVP_LOG"] !== "off",
    };
}
