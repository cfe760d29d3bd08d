import { Hono, type ErrorHandler } from 'hono'
import { handleError, HttpError, type ServerEnv } from '@jwt-factory/server'
import { OAuthError } from './oauth-error.ts'

/**
 * The one refusal boundary of the OAuth endpoints: an OAuthError in RFC 6749 §5.2's shape, any
 * other request failure (a body that is too large, not a form) as `invalid_request` with its
 * status, anything else as the factory's generic 500. Answers are never cached (§5.1).
 */
export function oauthRoutes(): Hono<ServerEnv> {
  return new Hono<ServerEnv>()
    .use(async (c, next) => {
      await next()
      c.header('Cache-Control', 'no-store')
      c.header('Pragma', 'no-cache')
    })
    .onError(answerOAuthError)
}

const answerOAuthError: ErrorHandler<ServerEnv> = (err, c) => {
  if (err instanceof OAuthError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    c.header('Cache-Control', 'no-store')
    return c.json(err.toJSON(), err.status)
  }
  if (err instanceof HttpError && err.status < 500) {
    c.header('Cache-Control', 'no-store')
    return c.json({ error: 'invalid_request', error_description: err.message }, err.status)
  }
  return handleError(err, c)
}
