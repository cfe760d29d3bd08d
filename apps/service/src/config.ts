import { isAbsolute, resolve } from 'node:path'
import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import { envEnum, envInteger, envPort, envString, envUrl, parseEnv } from '@jwt-factory/config'
import { LOG_FORMATS, LOG_LEVELS } from '@jwt-factory/server'
import { z } from 'zod'

export const SERVICE_NAMES = ['servicea', 'serviceb', 'servicec'] as const
export type ServiceName = (typeof SERVICE_NAMES)[number]

/** The service that plays the calling side of every scenario; the others only verify. */
export const SCENARIO_CALLER = 'servicea' satisfies ServiceName

const trimSlash = (url: string) => url.replace(/\/+$/, '')
const unsetIfEmpty = (value: unknown) =>
  typeof value === 'string' && value.trim() === '' ? undefined : value

/**
 * Each variable once: its rule and default, then its place in the config. Relative folders are
 * resolved against `baseDir` (apps/service, where the .env files live).
 */
function configSchema(baseDir: string) {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  return z
    .object({
      SERVICE_NAME: envEnum(SERVICE_NAMES, 'servicea'),
      HOST: envString('127.0.0.1'),
      HTTP_PORT: envPort(3000),
      HTTPS_PORT: envPort(3443),
      FACTORY_URL: envUrl('https://localhost:5443'),
      /** Unset: FACTORY_URL, the factory's PUBLIC_URL when both are its default. */
      FACTORY_ISSUER: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
      /** Unset: FACTORY_URL/users. */
      FACTORY_USER_ISSUER: z.preprocess(unsetIfEmpty, z.string().min(1).optional()),
      SERVICEA_URL: envUrl('https://localhost:3443'),
      SERVICEB_URL: envUrl('https://localhost:8443'),
      SERVICEC_URL: envUrl('https://localhost:9443'),
      /** Unset: no `?verify=mesh` (a cluster's in-mesh plain HTTP URL of each peer, docs/20). */
      SERVICEB_MESH_URL: z.preprocess(unsetIfEmpty, meshUrl.optional()),
      SERVICEC_MESH_URL: z.preprocess(unsetIfEmpty, meshUrl.optional()),
      /** Unset: no header is ever trusted (`x-jwt-payload` where a sidecar writes it, docs/20). */
      MESH_PAYLOAD_HEADER: z.preprocess(unsetIfEmpty, meshHeader.optional()),
      /** The address the sidecar's connections to the app come from (Istio since 1.10). */
      MESH_SIDECAR_ADDRESS: z.preprocess(
        unsetIfEmpty,
        z.union([z.ipv4(), z.ipv6()], { error: 'must be an IP address' }).default('127.0.0.6'),
      ),
      CERTS_DIR: envString('../../certs'),
      SCENARIO3_KEYS_DIR: envString('../../scenario-3-keys'),
      SCENARIO3_ISSUER: envString('https://service-issuer'),
      SCENARIO3_TTL_SECONDS: envInteger(60, 1, 86_400),
      SCENARIO3_ALGORITHM: envEnum(SIGNING_ALGORITHMS, 'ES256'),
      HOP_TIMEOUT_MS: envInteger(5000, 50, 120_000),
      CLOCK_TOLERANCE_SECONDS: envInteger(30, 0, 300),
      KEYS_RELOAD_COOLDOWN_MS: envInteger(1000, 0, 60_000),
      LOG_LEVEL: envEnum(LOG_LEVELS, 'info'),
      LOG_FORMAT: envEnum(LOG_FORMATS, 'pretty'),
      CONSOLE_URL: envUrl('http://localhost:4000/'),
      /** This service's OAuth client secret (made by `npm start`); unset: data/client-secrets/<name>. */
      CLIENT_SECRET_FILE: z.preprocess((v) => (v === '' ? undefined : v), z.string().optional()),
    })
    .transform((e) => ({
      name: e.SERVICE_NAME,
      host: e.HOST,
      httpPort: e.HTTP_PORT,
      httpsPort: e.HTTPS_PORT,
      factoryUrl: trimSlash(e.FACTORY_URL),
      /** The `iss` of the factory's service tokens, checked when verifying them locally (?verify=jwks). */
      factoryIssuer: e.FACTORY_ISSUER ?? trimSlash(e.FACTORY_URL),
      /** The `iss` of the factory's user tokens (scenario 5): an issuer apart, with only the user key. */
      factoryUserIssuer: e.FACTORY_USER_ISSUER ?? `${trimSlash(e.FACTORY_URL)}/users`,
      /** Where servicea's HTTPS listener is, for answers that send a caller there. */
      callerUrl: trimSlash(e.SERVICEA_URL),
      /** Where each peer's HTTPS listener is. */
      peers: Object.freeze({
        serviceb: trimSlash(e.SERVICEB_URL),
        servicec: trimSlash(e.SERVICEC_URL),
      }),
      /**
       * Each peer's plain HTTP port inside the mesh, for `?verify=mesh`: servicea's sidecar
       * carries the call in the mesh's mutual TLS, the peer's sidecar verifies the token.
       */
      meshPeers: Object.freeze({
        serviceb: e.SERVICEB_MESH_URL && trimSlash(e.SERVICEB_MESH_URL),
        servicec: e.SERVICEC_MESH_URL && trimSlash(e.SERVICEC_MESH_URL),
      }),
      /**
       * The header this service's sidecar writes the payload of a token it verified into
       * (Istio's outputPayloadToHeader), lower case; unset: `?verify=mesh` is refused.
       */
      meshPayloadHeader: e.MESH_PAYLOAD_HEADER,
      /**
       * The source address of the sidecar's connections to the app: Istio's inbound clusters bind
       * their upstream side to 127.0.0.6, so a connection from any other address (a
       * `kubectl port-forward`, which arrives from the pod's 127.0.0.1) went around the sidecar
       * and its header is the sender's. Read from the socket, never from a header.
       */
      meshSidecarAddress: e.MESH_SIDECAR_ADDRESS,
      certsDir: path(e.CERTS_DIR),
      scenario3: Object.freeze({
        keysDir: path(e.SCENARIO3_KEYS_DIR),
        issuer: e.SCENARIO3_ISSUER,
        ttlSeconds: e.SCENARIO3_TTL_SECONDS,
        /** Algorithm of scenario-3 keys made by `npm run keys` or POST /gen-keys. */
        algorithm: e.SCENARIO3_ALGORITHM,
      }),
      hopTimeoutMs: e.HOP_TIMEOUT_MS,
      /**
       * servicea's wait for serviceb or servicec: a second longer than theirs for the factory, so
       * when the factory is slow it is the factory a 504 names, not the peer that waited on it.
       */
      peerTimeoutMs: e.HOP_TIMEOUT_MS + PEER_TIMEOUT_MARGIN_MS,
      clockToleranceSeconds: e.CLOCK_TOLERANCE_SECONDS,
      /**
       * Least time between two re-reads of a key set (the factory's JWKS, the scenario-3 public
       * key) caused by a token naming a kid not in it: a flood of made-up kids costs one re-read
       * per cooldown. 0 re-reads at every unknown kid, for tests that rotate keys.
       */
      keysReloadCooldownMs: e.KEYS_RELOAD_COOLDOWN_MS,
      logLevel: e.LOG_LEVEL,
      logFormat: e.LOG_FORMAT,
      /** Where `npm start` serves the teaching console; GET / names it. */
      consoleUrl: e.CONSOLE_URL,
      /**
       * The secret this service authenticates with at the factory's POST /token (its client_id is
       * its name), read at start; scenario 6's token exchanges need it.
       */
      clientSecretFile: path(e.CLIENT_SECRET_FILE ?? `../../data/client-secrets/${e.SERVICE_NAME}`),
    }))
}

const PEER_TIMEOUT_MARGIN_MS = 1000

/**
 * A peer's port inside the mesh is plain HTTP, an origin only: the sidecars bring the mutual TLS
 * (on an HTTPS port no sidecar could read the token to verify it), and servicea appends the
 * scenario's path itself, so a path, query or user name here would be silently mangled or sent.
 */
const meshUrl = z
  .url({ error: 'must be a URL' })
  .refine((url) => URL.canParse(url) && new URL(url).protocol === 'http:', {
    error: "must be http://: a sidecar verifies tokens only on a peer's plain HTTP port",
  })
  .refine((url) => !URL.canParse(url) || isOrigin(new URL(url)), {
    error: 'must be an origin only (http://host:port): no path, query, fragment or user',
  })

const isOrigin = (url: URL) =>
  url.pathname === '/' &&
  url.search === '' &&
  url.hash === '' &&
  url.username === '' &&
  url.password === ''

/** An HTTP field name (RFC 9110 §5.1), never one that carries a credential itself. */
const meshHeader = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, { error: 'must be an HTTP header name' })
  .transform((name) => name.toLowerCase())
  .refine((name) => !['authorization', 'cookie', 'x-user-authorization'].includes(name), {
    error: 'must be a header of its own, not one that carries a token',
  })

export type ServiceConfig = Readonly<z.output<ReturnType<typeof configSchema>>>

/** Validates a service's environment once, at start. Pure: reads only `env`. */
export function loadConfig(
  env: Record<string, string | undefined>,
  baseDir: string,
  source = 'apps/service/.env',
): ServiceConfig {
  return parseEnv(configSchema(baseDir), env, source)
}
