import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { parseBearer, refuse } from '@jwt-factory/hono-auth'
import {
  addLogFields,
  connectionOf,
  ForbiddenError,
  readJsonObject,
  type ServerEnv,
} from '@jwt-factory/server'
import { parseKeyId } from '../keys/key-id.ts'
import type { AdminCredential } from './admin-credential.ts'
import { ENDPOINTS } from './endpoints.ts'

export interface ExposureGuardOptions {
  /** HOST is beyond loopback. */
  exposed: boolean
  /** Required when exposed; when given on loopback, key management requires it too. */
  admin: AdminCredential | undefined
  /** The factory's `iss`: an exposed factory does not let a caller choose another. */
  issuer: string
  /** For the messages that send a caller to the HTTPS listener. */
  httpsPort: number
}

const ADMIN_ANSWER = { realm: 'jwt-factory admin', style: 'bearer' } as const

/**
 * One middleware in front of every route, deciding by the route that matched (never by a
 * prefix of the raw path, which encodings and slashes could dodge) and by what the socket proves.
 * On loopback without an admin credential it lets everything through: the demo as it was.
 */
export function exposureGuard(options: ExposureGuardOptions): MiddlewareHandler<ServerEnv> {
  const { exposed, admin } = options
  if (exposed && !admin)
    throw new TypeError('exposureGuard: a factory beyond loopback needs an admin credential')
  // On loopback without an admin credential every route passes (below): nothing to look up.
  if (!exposed && !admin)
    return function guardExposure(_c, next) {
      return next()
    }
  return async function guardExposure(c, next) {
    const endpoint = matchedEndpoint(c)
    const kind = endpoint === undefined ? undefined : ENDPOINTS[endpoint.name]
    if (endpoint === undefined || kind === undefined || kind === 'public') return next() // a 404, or nothing secret
    if (kind === 'control') {
      if (exposed) {
        throw new ForbiddenError(
          `this factory listens beyond loopback: ${c.req.method} ${c.req.path} is the teaching console's, served only by a factory on loopback`,
        )
      }
      return next() // the route itself answers this machine only
    }
    if (kind === 'issue') {
      if (exposed) await requireServiceCertificate(c, endpoint.param('keyId'), options)
      return next()
    }
    // Plain HTTP between machines can be read and changed on the way: no password, token or
    // admin credential crosses it. From this machine there is no way to cross.
    const connection = exposed ? connectionOf(c) : undefined
    if (connection && !connection.tls && !connection.loopback) {
      throw new ForbiddenError(
        `this factory listens beyond loopback: ${c.req.method} ${c.req.path} carries secrets, so it is served over HTTPS only (port ${options.httpsPort}, with a client certificate of the project's CA) or from this machine`,
      )
    }
    if (kind === 'admin' && admin) return refuseNonAdmin(c, admin) ?? next()
    return next()
  }
}

interface Endpoint {
  /** `POST /issueToken/:keyId`, as the app's routes name it. */
  name: string
  /** A path parameter exactly as the route's handler will read it (same match, same decoding). */
  param(name: string): string | undefined
}

/** The route that will answer this request (the first handler matched), or undefined for a 404. */
function matchedEndpoint(c: Context): Endpoint | undefined {
  const routes = matchedRoutes(c)
  const index = routes.findIndex((r) => r.method !== 'ALL')
  const route = routes[index]
  if (!route) return undefined
  return {
    name: `${route.method} ${route.path}`,
    param(name) {
      // c.req.param() reads the parameters of the route at routeIndex (hono/route's helpers index
      // the same way): point it at the handler's route for one read.
      const own = c.req.routeIndex
      c.req.routeIndex = index
      try {
        return c.req.param(name)
      } finally {
        c.req.routeIndex = own
      }
    },
  }
}

/** `Authorization: Bearer <admin token>`, or the 401 with an RFC 6750 challenge that says so. */
function refuseNonAdmin(c: Context<ServerEnv>, admin: AdminCredential): Response | undefined {
  const presented = parseBearer(c.req.header('authorization'))
  if (presented !== undefined && admin.matches(presented)) {
    addLogFields(c, { admin: true })
    return undefined
  }
  if (presented === undefined) {
    const message = 'key management needs the admin credential: Authorization: Bearer <ADMIN_TOKEN>'
    return refuse(c, { kind: 'no-token', message }, ADMIN_ANSWER)
  }
  const error = {
    name: 'UnauthorizedError',
    code: 'ERR_UNAUTHORIZED',
    message: 'the admin credential is not valid',
  } as const
  return refuse(c, { kind: 'invalid-token', error }, ADMIN_ANSWER)
}

/**
 * The caller must be the service it asks a token for: the HTTPS listener of an exposed factory
 * verified its client certificate against the project's CA during the handshake; its CN must be
 * the keyId. The token is then about that service: `sub` is the keyId and `iss` the factory's.
 */
async function requireServiceCertificate(
  c: Context<ServerEnv>,
  rawKeyId: string | undefined,
  options: ExposureGuardOptions,
): Promise<void> {
  const keyId = parseKeyId(rawKeyId)
  const { tls, client } = connectionOf(c)
  const how = `call https://…:${options.httpsPort}/issueToken/${keyId} with ${keyId}'s client certificate (certs/${keyId}.pem)`
  if (!tls || !client) {
    throw new ForbiddenError(
      `this factory listens beyond loopback: issuing ${keyId}'s tokens needs mutual TLS: ${how}; plain HTTP is refused`,
    )
  }
  if (client.serverCertificate) {
    throw new ForbiddenError(
      `a server certificate (CN ${client.commonName ?? 'none'}) is not a service's identity: ${how}`,
    )
  }
  if (client.commonName !== keyId) {
    throw new ForbiddenError(
      `the client certificate names ${client.commonName ?? 'no single service'}, not ${keyId}: a service gets tokens for its own keyId only`,
    )
  }
  addLogFields(c, { client: client.commonName })
  // The body is read once and cached by hono; the route reads the same text again.
  const body = await readJsonObject(c, { allowEmpty: true })
  const pinned = { sub: keyId, iss: options.issuer }
  for (const [claim, value] of Object.entries(pinned)) {
    if (claim in body && body[claim] !== value) {
      throw new ForbiddenError(
        `claim "${claim}" must be ${JSON.stringify(value)} or absent: this factory issues tokens about the certificate's service only`,
      )
    }
  }
}
