import type { Context, MiddlewareHandler } from 'hono'
import { KEYS_UNAVAILABLE_CODES, verifyToken, type JWTPayload } from '@jwt-factory/jwt'
import type { LogFields } from '@jwt-factory/server'
import { readBearerToken } from '../bearer-token.ts'
import { checkOptions, type RequireAuthOptions } from './options.ts'
import {
  insufficientScope,
  invalidToken,
  keysUnavailable,
  missingToken,
  type Refusal,
} from './refusal.ts'

export type { RequireAuthOptions } from './options.ts'
export type { AuthErrorBody } from './refusal.ts'

/** Claims of a token requireAuth accepted: these are present and of these types. */
export interface VerifiedClaims extends JWTPayload {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
}

/** The verified caller, as requireAuth leaves it on the context. */
export interface AuthInfo {
  /** The compact token as received: only for forwarding it (forwardAuthorization), never to log. */
  token: string
  claims: VerifiedClaims
  /** The space-separated `scope` claim (RFC 9068 §2.2.3), split; empty when there is none. */
  scopes: ReadonlySet<string>
}

/** Hono env of routes behind requireAuth: `c.get('auth')` is the verified caller. */
export interface AuthEnv {
  Variables: { auth: AuthInfo }
}

/**
 * Admits only requests with a valid bearer token, from `Authorization: Bearer <token>` or a
 * cookie `token` holding `Bearer <token>`, and puts the verified caller on the context
 * (`c.get('auth')`). Everything else is answered here and never reaches the handler:
 * - no token: 401, `WWW-Authenticate: Bearer realm="…"` (no `error`, RFC 6750 §3.1);
 * - invalid, expired, not yet valid, wrong issuer, audience or `typ`: 401, `error="invalid_token"`;
 * - valid but without `permission`, every one of `scopes` (both against the `scope` claim), or
 *   a `level` of at least `minLevel`: 403, `error="insufficient_scope"`;
 * - keys unavailable (JWKS timeout, unreachable, garbage): 503, since the token was never judged.
 * Bodies are `{ error: { name, code, message } }`.
 *
 * Keys: create the KeySource once, next to the middleware, never per request.
 * - From the factory's JWKS (cached by jose, refetched when a token names an unknown `kid`, at
 *   most once per cooldown), through the process's one HTTPS client trusting the project's CA:
 *   `remoteKeys(jwksUrl, { algorithms: ['ES256'], fetch: createHttpClient({ caPem }).fetch })`.
 * - One public key from a PEM file:
 *   `keyList([await verificationKeyFromPem(pem, 'ES256')])`.
 * - A fixed set of keys: `keyList(keys)`, or `localKeys(lookup)` for keys that change in process.
 * Algorithms are pinned by the KeySource (each key's own, or `algorithms` for a JWKS), never
 * taken from the token.
 *
 * Options are checked here, once: misuse throws a TypeError at start-up.
 */
export function requireAuth(options: RequireAuthOptions): MiddlewareHandler<AuthEnv> {
  const { keys, realm, requiredScopes, minLevel, ...checked } = checkOptions(options)
  const verifyOptions = {
    issuer: checked.issuer,
    audience: checked.audience,
    typ: checked.tokenType,
    clockToleranceSeconds: checked.clockToleranceSeconds,
  }

  return async function requireAuthMiddleware(c, next) {
    const token = readBearerToken(c)
    if (token === undefined) return refuse(c, missingToken(realm))

    const result = await verifyToken(token, keys, verifyOptions)
    if (!result.valid) {
      const { code } = result.error
      const unavailable = KEYS_UNAVAILABLE_CODES.has(code)
      return refuse(c, unavailable ? keysUnavailable(code) : invalidToken(realm, result.error))
    }
    const { claims } = result
    // jose checks iss, aud, exp and iat; `sub` only for presence. Handlers rely on a string.
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      const error = { code: 'ERR_JWT_CLAIM_VALIDATION_FAILED', message: 'jwt subject invalid' }
      return refuse(c, invalidToken(realm, { name: 'JsonWebTokenError', ...error }))
    }

    const scopes = parseScope(claims.scope)
    const missing = requiredScopes.filter((scope) => !scopes.has(scope))
    if (missing.length > 0) {
      const noun = missing.length === 1 ? 'permission' : 'permissions'
      const message = `${noun} ${missing.join(', ')} required`
      return refuse(c, insufficientScope(realm, message, requiredScopes))
    }
    const level = typeof claims.level === 'number' ? claims.level : undefined
    if (minLevel !== undefined && !(level !== undefined && level >= minLevel)) {
      const message = `assurance level ${minLevel} required, token has ${level ?? 'none'}`
      return refuse(c, insufficientScope(realm, message, requiredScopes))
    }

    c.set('auth', { token, claims: claims as VerifiedClaims, scopes })
    addLogFields(c, { sub: claims.sub })
    await next()
  }
}

/** RFC 6749 §3.3: scope tokens separated by spaces. Anything but a string grants nothing. */
function parseScope(scope: unknown): ReadonlySet<string> {
  return new Set(typeof scope === 'string' ? scope.split(' ').filter((s) => s !== '') : [])
}

function refuse(c: Context, refusal: Refusal): Response {
  addLogFields(c, { auth: refusal.reason })
  if (refusal.challenge !== undefined) c.header('WWW-Authenticate', refusal.challenge)
  return c.json(refusal.body, refusal.status)
}

/** Adds to the request's log line when the app has one (createBaseApp); a no-op otherwise. */
function addLogFields(c: Context, fields: LogFields): void {
  const logFields = (c.var as { logFields?: LogFields }).logFields
  if (logFields !== undefined) Object.assign(logFields, fields)
}
