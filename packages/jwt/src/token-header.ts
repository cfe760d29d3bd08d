import { decodeProtectedHeader, type JWSHeaderParameters } from 'jose'

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
