import { randomUUID } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { toLowS } from './ecdsa-signature.ts'
import type { SigningKey } from './signing-key.ts'
import { MAX_JSON_DEPTH } from './strict-json.ts'
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
 * Claims no verifier of this product reads: not JSON, or nested deeper than MAX_JSON_DEPTH. The
 * caller's input, so an HTTP route answers it as a 400 (`code` is the factory's
 * ERR_INVALID_CLAIMS). The token's length is the caller's to check against MAX_TOKEN_LENGTH.
 */
export class InvalidClaimsError extends Error {
  override readonly name = 'InvalidClaimsError'
  readonly code = 'ERR_INVALID_CLAIMS'
}

/**
 * Signs claims with the product's defaults: header `{ alg, kid, typ }`, `iat`, `exp` and a
 * random `jti`. Times given in `claims` are overwritten; callers decide lifetimes through options.
 * ES256 signatures are always low-S, the one form verifyToken accepts (ecdsa-signature.ts).
 * Claims verifyToken could not read are refused with InvalidClaimsError, before jose sees them.
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
  checkClaims(signed)
  const token = await new SignJWT(signed)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: options.typ ?? SERVICE_TOKEN_TYPE })
    .sign(key.privateKey)
  return { token: key.alg === 'ES256' ? withLowS(token) : token, claims: signed }
}

/** Checked before jose sees them: its structuredClone overflows the stack on deep nesting. */
function checkClaims(claims: JWTPayload): void {
  let json: string
  try {
    json = JSON.stringify(claims)
  } catch (cause) {
    throw new InvalidClaimsError('claims must be JSON: no cycles, no BigInt, no deep nesting', { cause })
  }
  if (exceedsDepth(json, MAX_JSON_DEPTH)) {
    throw new InvalidClaimsError(`claims must not be nested deeper than ${MAX_JSON_DEPTH} levels`)
  }
}

/** WebCrypto's ECDSA gives high S about half the time; (r, n − s) is the same signature, canonical. */
function withLowS(token: string): string {
  const dot = token.lastIndexOf('.')
  const signature = Buffer.from(token.slice(dot + 1), 'base64url')
  const low = toLowS(signature)
  return low === signature ? token : `${token.slice(0, dot + 1)}${Buffer.from(low).toString('base64url')}`
}

/** Nesting of JSON text, counted over brackets outside strings: linear, no recursion. */
function exceedsDepth(json: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 0x5c) i++ // skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}
