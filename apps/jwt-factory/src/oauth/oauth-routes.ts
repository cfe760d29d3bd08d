import { Hono, type ErrorHandler, type MiddlewareHandler } from 'hono'
import { handleError, HttpError, type ServerEnv } from '@jwt-factory/server'
import { OAuthError } from './oauth-error.ts'

/**
 * The one refusal boundary of the OAuth endpoints: an OAuthError in RFC 6749 §5.2's shape, any
 * other request failure (a body that is too large, not a form, too many attempts) as
 * `invalid_request` with its status and headers, anything else as the factory's generic 500.
 *
 * Only routes go on it, each with `noStore` beside its handler: a middleware here (`.use()`)
 * would be mounted for every path, and run, with this error handler, around every route mounted
 * after it in the factory's app.
 */
export function oauthRoutes(): Hono<ServerEnv> {
  return new Hono<ServerEnv>().onError(answerOAuthError)
}

/** An OAuth answer is never cached (RFC 6749 §5.1, RFC 7662 §2.2). */
export const noStore: MiddlewareHandler<ServerEnv> = async (c, next) => {
  await next()
  c.header('Cache-Control', 'no-store')
  c.header('Pragma', 'no-cache')
}

const answerOAuthError: ErrorHandler<ServerEnv> = (err, c) => {
  if (err instanceof OAuthError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    c.header('Cache-Control', 'no-store')
    return c.json(err.toJSON(), err.status)
  }
  if (err instanceof HttpError && err.status < 500) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    c.header('Cache-Control', 'no-store')
    return c.json({ error: 'invalid_request', error_description: err.message }, err.status)
  }
  return handleError(err, c)
}
