import { createBaseApp } from '@jwt-factory/server'
import type { ConsoleConfig } from './config.ts'
import type { ConsoleContext, ConsoleDeps } from './deps.ts'
import { refuseForeignCallers } from './guard/refuse-foreign-callers.ts'
import { createConsoleClient } from './peers/console-client.ts'
import { breakRoutes } from './routes/break.ts'
import { controlRoutes } from './routes/control.ts'
import { eventRoutes } from './routes/events.ts'
import { pageRoutes } from './routes/page.ts'
import { runRoutes } from './routes/run.ts'
import { stateRoutes } from './routes/state.ts'

/**
 * Builds the console's hono app; it never listens (startConsole serves it). Every route is behind
 * the one guard: loopback callers, a local Host, and for a POST the console's own origin and JSON.
 */
export function createConsoleApp(config: ConsoleConfig, deps: ConsoleDeps) {
  const now = deps.now ?? Date.now
  const client = createConsoleClient({ http: deps.http, config, now, adminToken: deps.adminToken })
  const context: ConsoleContext = { ...deps, config, now, client }
  return createBaseApp({ logger: deps.logger })
    .use(refuseForeignCallers())
    .route('/', pageRoutes(context))
    .route('/', eventRoutes(context))
    .route('/', runRoutes(context))
    .route('/', breakRoutes(context))
    .route('/', stateRoutes(context))
    .route('/', controlRoutes(context))
}

export type ConsoleApp = ReturnType<typeof createConsoleApp>
