import { randomUUID, sign as nodeSign } from 'node:crypto'
import { SignJWT, type JWTPayload } from 'jose'
import { toLowS } from './ecdsa-signature.ts'
import type { SigningKey } from './signing-key.ts'
import { SERVICE_TOKEN_TYPE } from './token-type.ts'

/** Far deeper than any claims set; jose's structuredClone overflows the stack on deep nesting. */
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
  if (key.alg === 'ES256' || key.alg === 'EdDSA') {
    return { token: signCompactSync(key, typ, payloadJson), claims: signed }
  }
  const header = { alg: key.alg, kid: key.kid, typ }
  // RSA signing takes about a millisecond: WebCrypto (through jose) runs it on libuv's threads,
  // several at once, and keeps the event loop free meanwhile.
  const token = await new SignJWT(signed).setProtectedHeader(header).sign(key.privateKey)
  return { token, claims: signed }
}

/**
 * ES256 and EdDSA sign in tens of microseconds: node:crypto does it in place, where a WebCrypto
 * call costs more in dispatch and promise hops than the signature itself (bench CPU profile:
 * ~38 µs per token against 95–119 µs). The JWS is the compact serialization of RFC 7515 §7.1;
 * ES256 signatures are R‖S (RFC 7518 §3.4), made low-S.
 */
function signCompactSync(key: SigningKey, typ: string, payloadJson: string): string {
  const input = `${headerSegment(key, typ)}.${Buffer.from(payloadJson).toString('base64url')}`
  const data = Buffer.from(input)
  const signature =
    key.alg === 'ES256'
      ? toLowS(nodeSign('sha256', data, { key: key.privateKeyObject, dsaEncoding: 'ieee-p1363' }))
      : nodeSign(null, data, key.privateKeyObject)
  return `${input}.${toBase64Url(signature)}`
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

/**
 * Checked before signing: jose's structuredClone overflows the stack on deep nesting. Returns
 * the claims as JSON, the payload the token carries.
 */
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
