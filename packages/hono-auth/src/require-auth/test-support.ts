import {
  signToken,
  USER_TOKEN_TYPE,
  type JWTPayload,
  type SigningKey,
  type SignTokenOptions,
} from '@jwt-factory/jwt'
import { createBaseApp, silentLogger } from '@jwt-factory/server'
import { requireAuth, type RequireAuthOptions } from './index.ts'

/** Test helpers shared by the middleware's tests; not exported from the package. */
export const ISSUER = 'https://localhost:8443'
export const AUDIENCE = 'servicea'

/** A user token's claims as the factory's /login issues them (RFC 9068), overridable. */
export function userClaims(extra: JWTPayload = {}): JWTPayload {
  const scope = 'app-view token-issue'
  return { iss: ISSUER, aud: AUDIENCE, sub: 'alice', scope, amr: ['pwd'], level: 2, ...extra }
}

export async function userToken(
  key: SigningKey,
  extra: JWTPayload = {},
  options: Partial<SignTokenOptions> = {},
): Promise<string> {
  const signed = await signToken(key, userClaims(extra), {
    ttlSeconds: 300,
    typ: USER_TOKEN_TYPE,
    ...options,
  })
  return signed.token
}

type ProtectedAppOptions = Partial<RequireAuthOptions> & Pick<RequireAuthOptions, 'keys'>

/**
 * An app as the services build it (createBaseApp: JSON errors, request log), with one route
 * behind requireAuth whose handler counts its calls: a refusal must leave the count unchanged.
 */
export function protectedApp(options: ProtectedAppOptions) {
  const app = createBaseApp({ logger: silentLogger() })
  let calls = 0
  app.get('/protected', requireAuth({ issuer: ISSUER, audience: AUDIENCE, ...options }), (c) => {
    calls++
    const { claims, scopes } = c.get('auth')
    return c.json({ sub: claims.sub, scopes: [...scopes], level: claims.level })
  })
  return {
    app,
    get calls() {
      return calls
    },
    get: (headers: Record<string, string> = {}) => app.request('/protected', { headers }),
    bearer: (token: string) => {
      return app.request('/protected', { headers: { authorization: `Bearer ${token}` } })
    },
  }
}
