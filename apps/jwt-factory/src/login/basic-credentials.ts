import { BadRequestError, UnauthorizedError } from '@jwt-factory/server'

export interface BasicCredentials {
  name: string
  password: string
}

/** RFC 7617 §2: what a 401 for a missing credential asks for. */
export const BASIC_CHALLENGE = 'Basic realm="jwt-factory", charset="UTF-8"'

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * `Authorization: Basic base64(name:password)`, or the bare base64 value (AppMesh's curl example
 * sends that). The name ends at the first ':' (RFC 7617 §2); the password may hold more. A header
 * that is not such a credential is a 400 that says why, and counts as no login attempt.
 */
export function parseBasicCredentials(header: string | undefined): BasicCredentials {
  if (header === undefined || header.trim() === '') {
    throw new UnauthorizedError('login needs Authorization: Basic base64(name:password)', {
      headers: { 'WWW-Authenticate': BASIC_CHALLENGE },
    })
  }
  const match = /^(?:Basic +)?(\S+) *$/i.exec(header.trim())
  const encoded = match?.[1]
  // A length of 4n+1 is never base64: Buffer.from would quietly drop the last character.
  if (encoded === undefined || !BASE64.test(encoded) || encoded.length % 4 === 1) {
    throw malformed('Authorization must be Basic base64(name:password)')
  }
  let decoded: string
  try {
    decoded = utf8.decode(Buffer.from(encoded, 'base64'))
  } catch {
    throw malformed('Basic credentials must be UTF-8 (RFC 7617 §2.1)')
  }
  const colon = decoded.indexOf(':')
  if (colon < 0) throw malformed('Basic credentials must be base64 of name:password (no ":" found)')
  const name = decoded.slice(0, colon)
  const password = decoded.slice(colon + 1)
  if (name === '' || password === '') {
    throw malformed('Basic credentials need a non-empty name and password')
  }
  if (/[\x00-\x1f\x7f]/.test(name + password)) {
    throw malformed('Basic credentials may not hold control characters (RFC 7617 §2)')
  }
  return { name, password }
}

const malformed = (message: string) => new BadRequestError(message)
