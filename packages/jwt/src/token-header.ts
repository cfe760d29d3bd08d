import { decodeJwt, decodeProtectedHeader, type JWSHeaderParameters, type JWTPayload } from 'jose'

/**
 * The `kid` a token's header names, for logs and traces; undefined when there is none or the
 * token is not readable. Says nothing about validity: call it after verifyToken succeeded.
 */
export function tokenKid(token: string): string | undefined {
  let header: JWSHeaderParameters
  try {
    header = decodeProtectedHeader(token)
  } catch {
    return undefined
  }
  return typeof header.kid === 'string' ? header.kid : undefined
}

/**
 * A token's header and claims as it carries them, for a trace or a page to show; undefined when
 * it is not a readable JWT. Decoding is not verifying: never act on what it returns.
 */
export function decodeTokenParts(
  token: string,
): { header: JWSHeaderParameters; claims: JWTPayload } | undefined {
  try {
    return { header: decodeProtectedHeader(token), claims: decodeJwt(token) }
  } catch {
    return undefined
  }
}
