import type { MiddlewareHandler } from 'hono'
import type { JWTPayload } from '@jwt-factory/jwt'
import { addLogFields } from '@jwt-factory/server'
import { readBearerToken } from '../bearer-token.ts'
import { refuse, type RefusalOptions } from '../refusal/index.ts'
import { scopesOf } from '../scope.ts'
import { checkOptions, type RequireAuthOptions } from './options.ts'

export type { RequireAuthOptions, TokenVerifier } from './options.ts'

/** The body of every refusal requireAuth answers: the project's JSON error shape. */
export interface AuthErrorBody {
  error: { name: string; code: string; message: string }
}

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
 * - keys unavailable (JWKS unreachable or garbage): 502 naming the hop that serves them, 504 on
 *   a timeout, since the token was never judged.
 * Bodies are `{ error: { name, code, message, … } }`; hono-auth's answerRefusal writes them all.
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
  const { keys, realm, requiredScopes, minLevel, verify, ...checked } = checkOptions(options)
  const verifyOptions = {
    issuer: checked.issuer,
    audience: checked.audience,
    typ: checked.tokenType,
    clockToleranceSeconds: checked.clockToleranceSeconds,
  }

  const answer: RefusalOptions = { realm, style: 'bearer' }

  return async function requireAuthMiddleware(c, next) {
    const token = readBearerToken(c)
    if (token === undefined) return refuse(c, { kind: 'no-token' }, answer)

    const result = await verify(token, keys, verifyOptions, c)
    if (!result.valid) return refuse(c, { kind: 'invalid-token', error: result.error }, answer)
    const { claims } = result
    // jose checks iss, aud, exp and iat; `sub` only for presence. Handlers rely on a string.
    if (typeof claims.sub !== 'string' || claims.sub === '') {
      const error = {
        name: 'JsonWebTokenError',
        code: 'ERR_JWT_CLAIM_VALIDATION_FAILED' as const,
        message: 'jwt subject invalid',
      }
      return refuse(c, { kind: 'invalid-token', error }, answer)
    }

    const scopes = scopesOf(claims)
    const missing = requiredScopes.filter((scope) => !scopes.has(scope))
    if (missing.length > 0) {
      const noun = missing.length === 1 ? 'permission' : 'permissions'
      const message = `${noun} ${missing.join(', ')} required`
      return refuse(c, { kind: 'insufficient-scope', message, scopes: requiredScopes }, answer)
    }
    const level = typeof claims.level === 'number' ? claims.level : undefined
    if (minLevel !== undefined && !(level !== undefined && level >= minLevel)) {
      const message = `assurance level ${minLevel} required, token has ${level ?? 'none'}`
      return refuse(c, { kind: 'insufficient-scope', message, scopes: requiredScopes }, answer)
    }

    c.set('auth', { token, claims: claims as VerifiedClaims, scopes })
    addLogFields(c, { sub: claims.sub })
    await next()
  }
}
