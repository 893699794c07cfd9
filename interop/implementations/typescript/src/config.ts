// Server configuration from the environment (wire contract §6 names), validated once at start.

export interface Config {
  host: string;
  port: number;
  publicUrl: string | null;
  stateFile: string | null;
  maxBodyBytes: number;
  maxReposPerMember: number;
  maxMembersPerRepo: number;
  nonceTtlSeconds: number;
  tokenTtlSeconds: number;
  /** One JSON line per request on stdout. */
  log: boolean;
}

export const DEFAULTS: Config = {
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

export class ConfigError extends Error {}

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1): number {
  const raw = env[name];
  if (raw === undefined || raw === "") return fallback;
  if (!/^[0-9]+$/.test(raw) || !Number.isSafeInteger(Number(raw)) || Number(raw) < min) {
    throw new ConfigError(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function configFromEnv(env: NodeJS.ProcessEnv): Config {
  const publicUrl = env["AVP_PUBLIC_URL"] || null;
  if (publicUrl !== null && !/^https?:\/\/[^/]+/.test(publicUrl)) {
    throw new ConfigError("AVP_PUBLIC_URL must be an http(s) URL");
  }
  return {
    host: env["HOST"] || DEFAULTS.host,
    port: positiveInt(env, "PORT", DEFAULTS.port, 0),
    publicUrl: publicUrl === null ? null : publicUrl.replace(/\/+$/, ""),
    stateFile: env["AVP_STATE_FILE"] || null,
    maxBodyBytes: positiveInt(env, "AVP_MAX_BODY_BYTES", DEFAULTS.maxBodyBytes),
    maxReposPerMember: positiveInt(env, "AVP_MAX_REPOS_PER_MEMBER", DEFAULTS.maxReposPerMember),
    maxMembersPerRepo: positiveInt(env, "AVP_MAX_MEMBERS_PER_REPO", DEFAULTS.maxMembersPerRepo),
    nonceTtlSeconds: positiveInt(env, "AVP_NONCE_TTL_SECONDS", DEFAULTS.nonceTtlSeconds),
    tokenTtlSeconds: positiveInt(env, "AVP_TOKEN_TTL_SECONDS", DEFAULTS.tokenTtlSeconds),
    log: env["AVP_LOG"] !== "off",
  };
}
