import { availableParallelism } from 'node:os'
import { isAbsolute, join, resolve } from 'node:path'
import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import { envEnum, envInteger, envPort, envString, envUrl, parseEnv } from '@jwt-factory/config'
import { isLoopbackHost, LOG_FORMATS, LOG_LEVELS } from '@jwt-factory/server'
import { z } from 'zod'
import { issuers, publicUrlSchema } from './oauth/issuers.ts'
import { ADMIN_TOKEN_RULE, adminTokenSchema } from './exposure/admin-token.ts'

/** Comma-separated audiences; each is an `aud` value, so no spaces, commas or control characters. */
const AUDIENCES_MESSAGE = 'must be a comma-separated list of audiences'
const audienceList = z
  .string()
  .transform((list) => list.split(',').map((a) => a.trim()))
  .pipe(z.array(z.string().regex(/^[\x21-\x2b\x2d-\x7e]{1,200}$/, AUDIENCES_MESSAGE)).min(1))

/** More processes than this only share the same cores; the bound keeps a typo from forking hundreds. */
const MAX_WORKERS = 64

export const STORE_KINDS = ['files', 'etcd'] as const
const ETCD_ENDPOINTS_MESSAGE = 'must be a comma-separated list of http:// or https:// URLs'
const etcdEndpointList = z
  .string()
  .transform((list) => list.split(',').map((a) => a.trim()))
  .pipe(
    z
      .array(
        z
          .url({ error: ETCD_ENDPOINTS_MESSAGE })
          .refine((u) => /^https?:\/\/[^/]+\/?$/.test(u), ETCD_ENDPOINTS_MESSAGE),
      )
      .min(1),
  )
const ETCD_PREFIX_MESSAGE =
  'must be key parts of letters, digits, ".", "_" or "-", separated and ended by "/" (jwt-factory/)'

const ISSUER_REPLACED =
  'is no longer read: PUBLIC_URL replaces it (service tokens are issued by PUBLIC_URL, user tokens by PUBLIC_URL/users; default https://localhost:HTTPS_PORT): unset ISSUER'

const schema = z
  .object({
    HOST: envString('127.0.0.1'),
    PORT: envPort(5555),
    HTTPS_PORT: envPort(5443),
    CERTS_DIR: envString('../../certs'),
    /** Replaced by PUBLIC_URL (issue 13): set, it stops the start with a message saying so. */
    ISSUER: z.preprocess(unsetIfEmpty, z.undefined({ error: ISSUER_REPLACED }).optional()),
    ALGORITHM: envEnum(SIGNING_ALGORITHMS, 'ES256'),
    TOKEN_TTL_SECONDS: envInteger(3600, 1, 31_536_000),
    MAX_TOKEN_TTL_SECONDS: envInteger(86_400, 1, 31_536_000),
    CLOCK_TOLERANCE_SECONDS: envInteger(30, 0, 300),
    KEYS_DIR: envString('../../keys'),
    PUBLIC_URL: z.preprocess(unsetIfEmpty, publicUrlSchema.optional()),
    LOG_LEVEL: envEnum(LOG_LEVELS, 'info'),
    LOG_FORMAT: envEnum(LOG_FORMATS, 'pretty'),
    USERS_FILE: envString('../../data/users.json'),
    CLIENTS_FILE: envString('../../data/clients.json'),
    REVOCATIONS_FILE: envString('../../data/revocations.json'),
    POLICY_FILE: envString('policy.json'),
    USER_AUDIENCES: envString('jwt-factory,servicea,serviceb,servicec').pipe(audienceList),
    TOTP_CHALLENGE_SECONDS: envInteger(120, 10, 900),
    LOGIN_FAILURE_WINDOW_SECONDS: envInteger(300, 1, 86_400),
    LOGIN_MAX_FAILURES_PER_USER: envInteger(5, 1, 10_000),
    LOGIN_MAX_FAILURES_PER_ADDRESS: envInteger(20, 1, 1_000_000),
    /** The admin credential for key management; required when HOST is beyond loopback. Never echoed. */
    ADMIN_TOKEN: z.preprocess(unsetIfEmpty, adminTokenSchema.optional()),
    /** A file holding it instead (a mounted secret), read at start. */
    ADMIN_TOKEN_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
    JWKS_FAULT_DELAY_MS: envInteger(10_000, 1, 600_000),
    /** How long a verifier may keep a key set (Cache-Control max-age): how long a retired key lives on in copies. */
    JWKS_MAX_AGE_SECONDS: envInteger(300, 0, 86_400),
    CONSOLE_URL: envUrl('http://localhost:4000/'),
    STORE: envEnum(STORE_KINDS, 'files'),
    ETCD_ENDPOINTS: envString('http://127.0.0.1:2379').pipe(etcdEndpointList),
    ETCD_PREFIX: envString('jwt-factory/').pipe(
      z.string().regex(/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*\/$/, ETCD_PREFIX_MESSAGE),
    ),
    /** The CA etcd's certificate is checked against on https endpoints; default CERTS_DIR/ca.pem. */
    ETCD_CA_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
    /** A client certificate for etcd's --client-cert-auth; both or neither. */
    ETCD_CERT_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
    ETCD_KEY_FILE: z.preprocess(unsetIfEmpty, z.string().optional()),
    ETCD_TIMEOUT_MS: envInteger(2000, 100, 60_000),
    STORE_KEK_FILE: envString('../../data/store.kek'),
    WORKERS: envInteger(Math.min(MAX_WORKERS, availableParallelism()), 1, MAX_WORKERS),
  })
  .refine((c) => c.TOKEN_TTL_SECONDS <= c.MAX_TOKEN_TTL_SECONDS, {
    path: ['TOKEN_TTL_SECONDS'],
    message: 'must not be larger than MAX_TOKEN_TTL_SECONDS',
  })
  .superRefine((c, ctx) => {
    if ((c.ETCD_CERT_FILE === undefined) !== (c.ETCD_KEY_FILE === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [c.ETCD_CERT_FILE === undefined ? 'ETCD_CERT_FILE' : 'ETCD_KEY_FILE'],
        message: 'set ETCD_CERT_FILE and ETCD_KEY_FILE together (the client certificate for etcd)',
      })
    }
    if (c.ADMIN_TOKEN !== undefined && c.ADMIN_TOKEN_FILE !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: 'set ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both',
      })
    }
    if (
      !isLoopbackHost(c.HOST) &&
      c.ADMIN_TOKEN === undefined &&
      c.ADMIN_TOKEN_FILE === undefined
    ) {
      const why = `HOST ${c.HOST} is beyond loopback, so key management needs an admin credential`
      ctx.addIssue({
        code: 'custom',
        path: ['ADMIN_TOKEN'],
        message: `required: ${why}: set ADMIN_TOKEN (${ADMIN_TOKEN_RULE}) or ADMIN_TOKEN_FILE (a file holding it)`,
      })
    }
    // The default issuer is https://localhost: on another machine that names the client itself,
    // so discovery and every `iss` check there would fail (or reach the wrong server).
    if (!isLoopbackHost(c.HOST) && c.PUBLIC_URL === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['PUBLIC_URL'],
        message: `required: HOST ${c.HOST} is beyond loopback, so the issuers need the name clients reach this factory at: set PUBLIC_URL (e.g. https://jwt-factory.example:${c.HTTPS_PORT})`,
      })
    }
  })

function unsetIfEmpty(value: unknown): unknown {
  return value === '' ? undefined : value
}

export type FactoryEnv = z.output<typeof schema>

/** The factory's configuration: each variable is written once, in the schema above. */
export type FactoryConfig = ReturnType<typeof loadConfig>

/**
 * Validates the factory's environment once, at start. Pure: reads only `env`; relative folders
 * are resolved against `baseDir` (the app folder, where `.env` lives), not the working directory.
 */
export function loadConfig(env: Record<string, string | undefined>, baseDir: string) {
  const e = parseEnv(schema, env, 'apps/jwt-factory/.env')
  const path = (value: string) => (isAbsolute(value) ? value : resolve(baseDir, value))
  const keysDir = path(e.KEYS_DIR)
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    /** HTTPS listener, served when CERTS_DIR holds the project's certificates. */
    httpsPort: e.HTTPS_PORT,
    certsDir: path(e.CERTS_DIR),
    algorithm: e.ALGORITHM,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    maxTokenTtlSeconds: e.MAX_TOKEN_TTL_SECONDS,
    clockToleranceSeconds: e.CLOCK_TOLERANCE_SECONDS,
    keysDir,
    ...issuers(e.PUBLIC_URL ?? `https://localhost:${e.HTTPS_PORT}`),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
    /** The users (JSON, 0600), watched for changes; see users/users-file.ts. */
    usersFile: path(e.USERS_FILE),
    /** The OAuth clients (JSON, 0600); see clients/clients-file.ts. */
    clientsFile: path(e.CLIENTS_FILE),
    /** Revoked tokens' jti until they expire (JSON, 0600); see oauth/revocations.ts. */
    revocationsFile: path(e.REVOCATIONS_FILE),
    /** Roles → permissions and the claim policy; read once at start. */
    policyFile: path(e.POLICY_FILE),
    /**
     * The user token key's own folder, beside the service keys but outside the keyId namespace: it
     * is never reachable through /keys, /issueToken or /verify.
     */
    userKeysDir: join(keysDir, 'users'),
    /**
     * Audiences a user token may be issued for (X-Audience). The first is the audience when the
     * header is absent: by default `jwt-factory`, the factory's own POST /auth, as AppMesh's login
     * without X-Audience gives a token for AppMesh itself.
     */
    userAudiences: Object.freeze([...new Set(e.USER_AUDIENCES)]),
    totpChallengeSeconds: e.TOTP_CHALLENGE_SECONDS,
    loginFailureWindowSeconds: e.LOGIN_FAILURE_WINDOW_SECONDS,
    loginMaxFailuresPerUser: e.LOGIN_MAX_FAILURES_PER_USER,
    loginMaxFailuresPerAddress: e.LOGIN_MAX_FAILURES_PER_ADDRESS,
    /**
     * HOST is beyond loopback (see exposure/): key management needs the admin credential, issuing
     * needs the service's client certificate over HTTPS (mutual TLS), and requests that carry a
     * secret are refused on plain HTTP unless they come from this machine.
     */
    exposed: !isLoopbackHost(e.HOST),
    /** ADMIN_TOKEN (validated, never logged); see exposure/admin-credential.ts. */
    adminToken: e.ADMIN_TOKEN,
    /** ADMIN_TOKEN_FILE, read by main.ts at start. */
    adminTokenFile: e.ADMIN_TOKEN_FILE === undefined ? undefined : path(e.ADMIN_TOKEN_FILE),
    /**
     * How long each JWKS answer waits while a learner has made the JWKS slow (POST
     * /control/jwks-fault): longer than a verifier's HOP_TIMEOUT_MS (5000), so it gives up first.
     */
    jwksFaultDelayMs: e.JWKS_FAULT_DELAY_MS,
    jwksMaxAgeSeconds: e.JWKS_MAX_AGE_SECONDS,
    /** Where `npm start` serves the teaching console; GET / names it. */
    consoleUrl: e.CONSOLE_URL,
    /**
     * Where keys, users, clients and revocations live: `files` (the folders and files above) or
     * `etcd`, shared by every factory on the same cluster; see stores/factory-store.ts.
     */
    store: e.STORE,
    etcd: Object.freeze({
      endpoints: Object.freeze(e.ETCD_ENDPOINTS.map((u) => u.replace(/\/$/, ''))),
      /** Every key the factory writes starts with it, so several deployments can share a cluster. */
      prefix: e.ETCD_PREFIX,
      caFile: path(e.ETCD_CA_FILE ?? join(e.CERTS_DIR, 'ca.pem')),
      certFile: e.ETCD_CERT_FILE === undefined ? undefined : path(e.ETCD_CERT_FILE),
      keyFile: e.ETCD_KEY_FILE === undefined ? undefined : path(e.ETCD_KEY_FILE),
      /** How long a call to etcd may take before it counts as unavailable (503 on a write). */
      timeoutMs: e.ETCD_TIMEOUT_MS,
    }),
    /** The key-encryption key (32 bytes, base64) that seals private keys and TOTP secrets in etcd. */
    kekFile: path(e.STORE_KEK_FILE),
    /**
     * How many processes serve HTTP (node:cluster, on the same ports); by default one per core.
     * 1 is a single process with no cluster. More: see workers/ for how they stay consistent.
     */
    workers: e.WORKERS,
  })
}
