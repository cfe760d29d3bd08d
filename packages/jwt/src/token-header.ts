import { decodeProtectedHeader } from 'jose'

/**
 * The `kid` a token's header names, for logs and traces; undefined when there is none or the
 * token is not readable. Says nothing about validity: call it after verifyToken succeeded.
 */
export function tokenKid(token: string): string | undefined {
  try {
    const { kid } = decodeProtectedHeader(token)
    return typeof kid === 'string' ? kid : undefined
  } catch {
    return undefined
  }
}
