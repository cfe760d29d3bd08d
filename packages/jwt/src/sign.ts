import { randomUUID } from 'node:crypto'
import type { JWTPayload } from 'jose'
import { signInPlace, signOffLoop } from './node-signature.ts'
import type { SigningKey } from './signing-key.ts'
import { SERVICE_TOKEN_TYPE } from './token-type.ts'

/**
 * Far deeper than any claims set. A consumer that copies claims recursively overflows its stack on
 * deep nesting (jose's SignJWT does, with structuredClone), so such claims are never signed.
 */
export const MAX_JSON_DEPTH = 32

export interface SignTokenOptions {
  ttlSeconds: number
  /** `typ` header: "JWT" for service tokens (default), "at+jwt" for user access tokens. */
  typ?: string
  /** When it is issued (default now); an expired variant is signed at expiredVariantTime(). */
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
 * ES256 signatures are written low-S (ecdsa-signature.ts).
 * Claims verifyToken could not read are refused with InvalidClaimsError, before anything is signed.
 */
export async function signToken(
  key: SigningKey,
  claims: JWTPayload,
  options: SignTokenOptions,
): Promise<SignedToken> {
  const now = Math.floor((options.now?.getTime() ?? Date.now()) / 1000)
  const signed = { ...claims, iat: now, exp: now + options.ttlSeconds, jti: randomUUID() }
  const payloadJson = checkClaims(signed)
  const typ = options.typ ?? SERVICE_TOKEN_TYPE
  const input = `${headerSegment(key, typ)}.${Buffer.from(payloadJson).toString('base64url')}`
  const data = Buffer.from(input)
  // ES256 and EdDSA in place; RSA (about a millisecond) on libuv's threads, several at once.
  const signature =
    key.alg === 'ES256' || key.alg === 'EdDSA'
      ? signInPlace(key.alg, key.privateKeyObject, data)
      : await signOffLoop(key.alg, key.privateKeyObject, data)
  // The compact serialization of RFC 7515 §7.1.
  return { token: `${input}.${toBase64Url(signature)}`, claims: signed }
}

/** A key's header, `{ alg, kid, typ }`, as it starts each of its tokens: made once per typ. */
const headerSegments = new WeakMap<SigningKey, Map<string, string>>()

function headerSegment(key: SigningKey, typ: string): string {
  let segments = headerSegments.get(key)
  if (!segments) headerSegments.set(key, (segments = new Map()))
  let segment = segments.get(typ)
  if (segment === undefined) {
    segment = Buffer.from(JSON.stringify({ alg: key.alg, kid: key.kid, typ })).toString('base64url')
    segments.set(typ, segment)
  }
  return segment
}

const toBase64Url = (bytes: Uint8Array) =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url')

/** Checked before signing (MAX_JSON_DEPTH). Returns the claims as JSON, the payload the token carries. */
function checkClaims(claims: JWTPayload): string {
  let json: string
  try {
    json = JSON.stringify(claims)
  } catch (cause) {
    throw new InvalidClaimsError('claims must be JSON: no cycles, no BigInt, no deep nesting', {
      cause,
    })
  }
  if (exceedsDepth(json, MAX_JSON_DEPTH)) {
    throw new InvalidClaimsError(`claims must not be nested deeper than ${MAX_JSON_DEPTH} levels`)
  }
  return json
}

/** Nesting of JSON text, counted over brackets outside strings: linear, no recursion. */
function exceedsDepth(json: string, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (inString) {
      if (c === 0x5c)
        i++ // skip the escaped character
      else if (c === 0x22) inString = false
    } else if (c === 0x22) inString = true
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) return true
    } else if (c === 0x7d || c === 0x5d) depth--
  }
  return false
}
