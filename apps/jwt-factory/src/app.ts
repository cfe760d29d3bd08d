import { createBaseApp } from '@jwt-factory/server'
import type { FactoryConfig } from './config.ts'
import type { FactoryDeps } from './deps.ts'
import { keyRoutes } from './routes/keys.ts'
import { tokenRoutes } from './routes/tokens.ts'
import { utilRoutes } from './routes/utils.ts'
import { verifyRoutes } from './routes/verify.ts'
import { wellKnownRoutes } from './routes/well-known.ts'

/** Builds the factory's hono app; it never listens, so tests call `app.request()` directly. */
export function createFactoryApp(config: FactoryConfig, deps: FactoryDeps) {
  const context = { ...deps, config, now: deps.now ?? (() => new Date()) }
  return createBaseApp({ logger: deps.logger })
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .route('/', keyRoutes(context))
    .route('/', tokenRoutes(context))
    .route('/', verifyRoutes(context))
    .route('/', utilRoutes(context))
    .route('/', wellKnownRoutes(context))
}

export type FactoryApp = ReturnType<typeof createFactoryApp>
