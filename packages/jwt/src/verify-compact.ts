import {
  errors,
  jwtVerify,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWSHeaderParameters,
  type JWTPayload,
  type JWTVerifyOptions,
} from 'jose'
import type { KeyObject } from 'node:crypto'
import type { SigningAlgorithm } from './algorithms.ts'
import { isVerifyKeyFor, verifyOffLoop } from './node-signature.ts'

/** A segment jose and node:crypto read as the same bytes: base64url, unpadded, no spaces. */
const SEGMENT = /^[A-Za-z0-9_-]+$/

/**
 * jose's jwtVerify, with the signature checked on node:crypto. An ordinary token (three
 * base64url segments, `alg` one of the key's, no `crit` or `b64`, a key made for that `alg`) has
 * its signature checked by node:crypto, on libuv's threads, and its claims by jose
 * (`UnsecuredJWT.decode` runs jwtVerify's own claim checks on the payload once the signature
 * holds, with the token's `typ`). Anything else, every refusal of the signature's form included,
 * goes to jwtVerify itself, so jose's answer, and its error, stays the answer. jose's path through
 * WebCrypto costs more per verification than node:crypto's (docs/14 has the figures).
 */
export async function verifyCompactJwt(
  token: string,
  header: JWSHeaderParameters,
  key: CryptoKey | KeyObject | JWK | Uint8Array,
  options: JWTVerifyOptions & { algorithms: SigningAlgorithm[] },
): Promise<{ payload: JWTPayload }> {
  const alg = header.alg as SigningAlgorithm
  const parts = token.split('.')
  if (
    parts.length !== 3 ||
    !options.algorithms.includes(alg) ||
    header.crit !== undefined ||
    header.b64 !== undefined ||
    (header.typ !== undefined && typeof header.typ !== 'string') ||
    !parts.every((part) => SEGMENT.test(part) && part.length % 4 !== 1) ||
    !isVerifyKeyFor(key, alg)
  ) {
    return jwtVerify(token, key, options)
  }
  const [encodedHeader, payload, signature] = parts as [string, string, string]
  let valid: boolean
  try {
    valid = await verifyOffLoop(
      alg,
      key,
      Buffer.from(`${encodedHeader}.${payload}`),
      Buffer.from(signature, 'base64url'),
    )
  } catch {
    return jwtVerify(token, key, options)
  }
  if (!valid) throw new errors.JWSSignatureVerificationFailed()
  return UnsecuredJWT.decode(`${unsecuredHeader(header.typ)}.${payload}.`, options)
}

const unsecuredHeaders = new Map<string | undefined, string>()

/** `{"alg":"none"}` with the token's own typ, which jose's claim checks compare (RFC 9068 §4). */
function unsecuredHeader(typ: string | undefined): string {
  let encoded = unsecuredHeaders.get(typ)
  if (encoded === undefined) {
    encoded = Buffer.from(JSON.stringify({ alg: 'none', typ })).toString('base64url')
    if (unsecuredHeaders.size < 16) unsecuredHeaders.set(typ, encoded)
  }
  return encoded
}
