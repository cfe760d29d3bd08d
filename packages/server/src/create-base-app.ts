import { Hono, type Context, type MiddlewareHandler } from 'hono'
import { prettyJSON } from 'hono/pretty-json'
import { requestId } from 'hono/request-id'
import type { Logger } from 'pino'
import { handleError, handleNotFound, truncate } from './error-handler.ts'
import { DEFAULT_BODY_LIMIT_BYTES, limitBody } from './request-body.ts'
import type { LogFields, ServerEnv } from './server-env.ts'

export { DEFAULT_BODY_LIMIT_BYTES }

export interface BaseAppOptions {
  logger: Logger
  bodyLimitBytes?: number
}

/**
 * A hono app with what every process here shares: a request id (taken from `X-Request-Id` when
 * well-formed, so one id follows a call across hops), one log line per request, a body limit
 * (413: handlers read bodies with readBodyText or readJsonObject, which enforce it), JSON errors
 * for everything, a JSON 404, and `?pretty` on any JSON answer for people reading it (hono's
 * prettyJSON: indented by two spaces).
 */
export function createBaseApp(options: BaseAppOptions): Hono<ServerEnv> {
  const maxSize = options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES
  if (!Number.isInteger(maxSize) || maxSize <= 0)
    throw new TypeError('createBaseApp: bodyLimitBytes must be a positive integer')
  const app = new Hono<ServerEnv>()
  app.use(requestId({ limitLength: 64 }))
  app.use(logRequests(options.logger))
  app.use(limitBody(maxSize))
  app.use(prettyWhenAsked())
  app.onError(handleError)
  app.notFound(handleNotFound)
  return app
}

function logRequests(logger: Logger): MiddlewareHandler<ServerEnv> {
  return async function logRequest(c, next) {
    const started = performance.now()
    c.set('logger', logger)
    c.set('logFields', {})
    await next()
    const ms = Math.round((performance.now() - started) * 10) / 10
    const path = truncate(c.req.path, 200)
    const status = c.res.status
    const level = status >= 500 ? 'warn' : c.get('quietLog') ? 'debug' : 'info'
    if (!logger.isLevelEnabled(level)) return
    logger[level](
      { rid: c.get('requestId'), method: c.req.method, path, status, ms, ...c.get('logFields') },
      `${c.req.method} ${path} ${status} ${ms}ms`,
    )
  }
}

/**
 * hono's prettyJSON, for the requests that ask (`?pretty`) only: on every other request it would
 * read the query twice and the answer's headers, on the hot paths too.
 */
function prettyWhenAsked(): MiddlewareHandler<ServerEnv> {
  const pretty = prettyJSON()
  return function prettyJsonWhenAsked(c, next) {
    return c.req.query('pretty') === undefined ? next() : pretty(c, next)
  }
}

/**
 * Logs this request's line at debug, not info: for what a page polls every second (the console's
 * GET /control/state), which would otherwise bury every other line of `npm start`.
 */
export function logQuietly(c: Context): void {
  c.set('quietLog', true)
}

/** Longest value of one log field: a client-chosen `aud` of 64 KiB must not make a 64 KiB line. */
const MAX_FIELD_LENGTH = 200

/**
 * Adds fields (keyId, kid, sub, aud…) to this request's one log line. Never a token or a key. A
 * no-op in an app without that line (not built by createBaseApp), so middleware can always call it.
 */
export function addLogFields(c: Context, fields: LogFields): void {
  // c.get, not c.var: hono builds c.var afresh, a copy of every variable, on each read.
  const target = (c.get as (key: string) => LogFields | undefined)('logFields')
  if (target === undefined) return
  for (const [name, value] of Object.entries(fields)) {
    target[name] = typeof value === 'string' ? truncate(value, MAX_FIELD_LENGTH) : value
  }
}
