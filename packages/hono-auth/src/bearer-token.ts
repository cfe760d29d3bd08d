import type { Context } from 'hono'
import { getCookie } from 'hono/cookie'

/** RFC 6750 §2.1 b64token: what a bearer credential may be made of. */
export const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/
const BEARER = new RegExp(`^Bearer +(${B64TOKEN.source.slice(1, -1)}) *$`, 'i')

/**
 * The bearer token of a request (RFC 6750 §2.1): from `Authorization: Bearer <token>`, or else
 * from a cookie `token` holding `Bearer <token>` (PyMacaron's rule, for browser callers).
 * Undefined when there is none or it is not a well-formed bearer credential.
 */
export function readBearerToken(c: Context): string | undefined {
  const header = c.req.header('authorization')
  if (header !== undefined) return parseBearer(header)
  return parseBearer(getCookie(c, 'token'))
}

/**
 * The token of one `Bearer <token>` value, for a header other than `Authorization` (such as
 * X-User-Authorization, which carries a user's token beside a service's own). Undefined when
 * absent or not a well-formed bearer credential.
 */
export function parseBearer(value: string | undefined): string | undefined {
  return value === undefined ? undefined : BEARER.exec(value)?.[1]
}
