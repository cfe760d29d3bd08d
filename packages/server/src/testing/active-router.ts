import type { SmartRouter } from 'hono/router/smart-router'

/**
 * The router hono's SmartRouter settled on for this app's routes: RegExpRouter, one regular
 * expression for them all, unless a route is one it cannot take (a static path beside a parameter,
 * such as /jwks/users beside /jwks/:keyId), and then TrieRouter, slower on every request.
 */
export function activeRouterName(app: { router: unknown }): string {
  const router = app.router as SmartRouter<unknown>
  router.match('GET', '/') // SmartRouter chooses on its first match
  return router.activeRouter.name
}
