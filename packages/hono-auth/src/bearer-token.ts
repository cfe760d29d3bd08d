import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/**
 * The bearer token of a request (RFC 6750 §2.1): from `Authorization: Bearer <token>`, or else
 * from a cookie `token` holding `Bearer <token>` (PyMacaron's rule, for browser callers).
 * Undefined when there is none or it is not a well-formed bearer credential.
 */
export function readBearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  if (header !== undefined) return BEARER.exec(header)?.[1]
  const cookie = getCookie(c, 'token')
  return cookie === undefined ? undefined : BEARER.exec(cookie)?.[1]
}
