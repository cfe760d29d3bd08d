import { createBaseApp } from '@jwt-factory/server'
import type { ServiceConfig } from './config.ts'
import type { ServiceDeps } from './deps.ts'
import { createFactoryClient } from './peers/factory-client.ts'
import { createPeerClient } from './peers/peer-client.ts'
import { basicRoutes } from './routes/basics.ts'
import { scenarioServerRoutes } from './routes/scenario-servers.ts'
import { scenarioRoutes } from './routes/scenarios.ts'

/** Builds a service's hono app (servicea, serviceb or servicec); it never listens. */
export function createServiceApp(config: ServiceConfig, deps: ServiceDeps) {
  const context = {
    ...deps,
    config,
    factory: createFactoryClient(deps.http, config.factoryUrl),
    peers: createPeerClient(deps.http, config.peers),
  }
  return createBaseApp({ logger: deps.logger })
    .route('/', basicRoutes(context))
    .route('/', scenarioRoutes(context))
    .route('/', scenarioServerRoutes(context))
}
