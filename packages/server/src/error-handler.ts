import type { Context, ErrorHandler, NotFoundHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { HttpError, NotFoundError, type HttpErrorBody } from './http-error.ts'
import type { ServerEnv } from './server-env.ts'

/**
 * The one place that turns a thrown error into a response. Expected failures (HttpError) keep
 * their status and message; hono's own HTTPExceptions keep their status; anything else is logged
 * with its stack and answered as a generic 500 that reveals nothing.
 */
export const handleError: ErrorHandler<ServerEnv> = (err, c) => {
  if (err instanceof HttpError) {
    for (const [name, value] of Object.entries(err.headers)) c.header(name, value)
    return c.json(err.toJSON(), err.status)
  }
  if (err instanceof HTTPException) {
    // hono's own exceptions (from its middleware) keep their status and headers, in our shape.
    const status = err.status as ContentfulStatusCode
    err.res?.headers.forEach((value, name) => {
      if (name !== 'content-type' && name !== 'content-length') c.header(name, value)
    })
    const body: HttpErrorBody = {
      error: {
        name: 'HttpError',
        code: HTTP_EXCEPTION_CODES[status] ?? (status >= 500 ? 'ERR_INTERNAL' : 'ERR_BAD_REQUEST'),
        message: err.message || 'request refused',
      },
    }
    return c.json(body, status)
  }
  logger(c)?.error({ err, rid: c.get('requestId') }, 'unhandled error')
  const body: HttpErrorBody = {
    error: { name: 'InternalError', code: 'ERR_INTERNAL', message: 'internal error' },
  }
  return c.json(body, 500)
}

export const handleNotFound: NotFoundHandler<ServerEnv> = (c) => {
  const err = new NotFoundError(`no route for ${c.req.method} ${truncate(c.req.path, 200)}`)
  return c.json(err.toJSON(), 404)
}

const HTTP_EXCEPTION_CODES: Partial<Record<number, HttpErrorBody['error']['code']>> = {
  401: 'ERR_UNAUTHORIZED',
  403: 'ERR_FORBIDDEN',
  404: 'ERR_NOT_FOUND',
  413: 'ERR_PAYLOAD_TOO_LARGE',
  415: 'ERR_UNSUPPORTED_MEDIA_TYPE',
  429: 'ERR_TOO_MANY_REQUESTS',
}

const logger = (c: Context<ServerEnv>) =>
  c.get('logger') as ServerEnv['Variables']['logger'] | undefined

export const truncate = (text: string, max: number): string =>
  text.length > max ? `${text.slice(0, max)}…` : text
