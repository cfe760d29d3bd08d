import { join } from 'node:path'
import { serveStatic } from '@hono/node-server/serve-static'
import { Hono, type MiddlewareHandler } from 'hono'
import { NotFoundError, type ServerEnv } from '@jwt-factory/server'
import type { ConsoleContext } from '../deps.ts'

/**
 * Everything the page loads comes from here (no CDN, works with the network cut), and the page
 * may load nothing from anywhere else, nor be framed by another site (its buttons stop processes).
 */
const PAGE_HEADERS: Record<string, string> = {
  'Content-Security-Policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-cache',
}

/** `GET /` the page, `GET /assets/console.js` and `/assets/console.css`: the built files. */
export function pageRoutes({ config }: ConsoleContext) {
  const file = (name: string): MiddlewareHandler<ServerEnv> => {
    const serve = serveStatic({ path: join(config.webDir, name) })
    return async function servePageFile(c, next) {
      for (const [header, value] of Object.entries(PAGE_HEADERS)) c.header(header, value)
      return serve(c, async () => {
        throw new NotFoundError(`${name} is not built: run npm run build (or npm start)`)
      })
    }
  }
  return new Hono<ServerEnv>()
    .get('/', file('index.html'))
    .get('/assets/console.js', file('console.js'))
    .get('/assets/console.css', file('console.css'))
}
