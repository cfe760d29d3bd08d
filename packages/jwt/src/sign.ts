import { randomUUID } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import type { SigningKey } from './signing-key.ts'
import { SERVICE_TOKEN_TYPE } from './token-type.ts'

/** How long before now an `expired` token expired: the original demo's "expired an hour ago". */
export const EXPIRED_TOKEN_AGE_SECONDS = 3600

export interface SignTokenOptions {
  ttlSeconds: number
  /** `typ` header: "JWT" for service tokens (default), "at+jwt" for user access tokens. */
  typ?: string
  /** Issue a token that already expired an hour ago (the demo's `?expired=1`). */
  expired?: boolean
  now?: Date
}

export interface SignedToken {
  token: string
  /** The claims as signed, with iat, exp and jti filled in. */
  claims: JWTPayload & { iat: number; exp: number; jti: string }
}

/**
 * Signs claims with the product's defaults: header `{ alg, kid, typ }`, `iat`, `exp` and a
 * random `jti`. Times given in `claims` are overwritten; callers decide lifetimes through options.
 */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  options: SignTokenOptions,
): Promise<SignedToken> {
  const now = Math.floor((options.now?.getTime() ?? Date.now()) / 1000)
  const exp = options.expired ? now - EXPIRED_TOKEN_AGE_SECONDS : now + options.ttlSeconds
  const iat = options.expired ? exp - options.ttlSeconds : now
  const signed = { ...claims, iat, exp, jti: randomUUID() }
  const token = await new SignJWT(signed)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: options.typ ?? SERVICE_TOKEN_TYPE })
    .sign(key.privateKey)
  return { token, claims: signed }
}
