import type { Context } from 'hono'
import type { AuthInfo } from './require-auth/index.ts'

/**
 * The verified caller requireAuth left on the context. Throws a TypeError when requireAuth did
 * not run for this route: a wiring mistake, answered as a 500, never as an anonymous caller.
 */
export function getAuth(c: Context): AuthInfo {
  const auth = (c.var as { auth?: AuthInfo }).auth
  if (auth === undefined) {
    const message = 'no verified caller on this request: mount requireAuth() before this handler'
    throw new TypeError(message)
  }
  return auth
}

/**
 * Headers that pass the verified caller's token on to the next hop (PyMacaron's `add_auth`):
 * `{ authorization: 'Bearer <token>' }`, to spread into a request's headers. The token is the
 * one requireAuth verified, whether it came in a header or a cookie; the next hop verifies it
 * again against its own audience.
 */
export function forwardAuthorization(c: Context): { authorization: string } {
  return { authorization: `Bearer ${getAuth(c).token}` }
}

/**
 * Where a service that calls with its OWN token (`Authorization: Bearer <service token>`) puts
 * the user's token it acts for: `X-User-Authorization: Bearer <user token>`. The next hop reads
 * it with `parseBearer(c.req.header(USER_AUTHORIZATION_HEADER))` and verifies both.
 */
export const USER_AUTHORIZATION_HEADER = 'x-user-authorization'

/**
 * `{ 'x-user-authorization': 'Bearer <token>' }`: the verified user's token (as requireAuth
 * left it, from a header or the cookie) for a hop that gets the caller's own service token in
 * `Authorization`. As with forwardAuthorization, the next hop verifies it again.
 */
export function forwardUserAuthorization(c: Context): { [USER_AUTHORIZATION_HEADER]: string } {
  return { [USER_AUTHORIZATION_HEADER]: `Bearer ${getAuth(c).token}` }
}
