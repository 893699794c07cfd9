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
    maxBodyBytes: 2_097_152,
    maxReposPerMember: 1000,
    maxMembersPerRepo: 256,
    nonceTtlSeconds: 120,
    tokenTtlSeconds: 3600,
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
    return {
        host: env["HOST"] || exports.DEFAULTS.host,
        port: positiveInt(env, "PORT", exports.DEFAULTS.port, 0),
        publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ""),
        stateFile: env["AVP_STATE_FILE"] || null,
        maxBodyBytes: positiveInt(env, "AVP_MAX_BODY_BYTES", exports.DEFAULTS.maxBodyBytes),
        maxReposPerMember: positiveInt(env, "AVP_MAX_REPOS_PER_MEMBER", exports.DEFAULTS.maxReposPerMember),
        maxMembersPerRepo: positiveInt(env, "AVP_MAX_MEMBERS_PER_REPO", exports.DEFAULTS.maxMembersPerRepo),
        nonceTtlSeconds: positiveInt(env, "AVP_NONCE_TTL_SECONDS", exports.DEFAULTS.nonceTtlSeconds),
        tokenTtlSeconds: positiveInt(env, "AVP_TOKEN_TTL_SECONDS", exports.DEFAULTS.tokenTtlSeconds),
        log: env["AVP_LOG"] !== "off",
    };
}
