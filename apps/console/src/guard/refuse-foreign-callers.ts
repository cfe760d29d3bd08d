import type { MiddlewareHandler } from 'hono'
import { loopbackOnly, type ServerEnv } from '@jwt-factory/server'
import { RefusedCallerError } from '../console-error.ts'

const JSON_TYPE = /^application\/json\s*(?:;|$)/i

/**
 * The console drives every process, so it answers this machine's own pages and tools alone. Before
 * any route it refuses (403 JSON):
 * - a caller beyond loopback, or a Host that does not name this machine (DNS rebinding: another
 *   site's name pointed at 127.0.0.1 reaches loopback through the learner's own browser, with its
 *   own name in Host): the server package's loopbackOnly, the same check as every control endpoint;
 * - a POST whose Origin is present and not the console's own, or whose body is not
 *   `application/json`: cross-site request forgery from another page the learner has open. A
 *   form or a no-cors fetch posts text/plain without asking; application/json cannot be sent
 *   cross-site without a CORS preflight, and the console answers none.
 */
export function refuseForeignCallers(): MiddlewareHandler<ServerEnv> {
  const local = loopbackOnly('the console')
  return async function consoleGuard(c, next) {
    return local(c, async () => {
      if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
        const origin = c.req.header('origin')
        if (origin !== undefined && origin !== `http://${c.req.header('host')}`) {
          throw new RefusedCallerError(
            'ERR_FOREIGN_ORIGIN',
            'only the console page may send it requests (cross-site request forgery)',
          )
        }
        if (!JSON_TYPE.test(c.req.header('content-type') ?? '')) {
          throw new RefusedCallerError(
            'ERR_NOT_JSON',
            'control requests must be application/json (a cross-site form cannot send that)',
          )
        }
      }
      await next()
    })
  }
}
