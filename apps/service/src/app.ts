import { remoteKeys, SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import { createBaseApp } from '@jwt-factory/server'
import type { ServiceConfig } from './config.ts'
import type { ServiceDeps } from './deps.ts'
import { createFactoryClient } from './peers/factory-client.ts'
import { createPeerClient } from './peers/peer-client.ts'
import { TokenCache } from './peers/token-cache.ts'
import { basicRoutes } from './routes/basics.ts'
import { scenario5Routes } from './routes/scenario5.ts'
import { scenario5ServerRoutes } from './routes/scenario5-server.ts'
import { scenarioServerRoutes } from './routes/scenario-servers.ts'
import { scenarioRoutes } from './routes/scenarios.ts'

/** Builds a service's hono app (servicea, serviceb or servicec); it never listens. */
export function createServiceApp(config: ServiceConfig, deps: ServiceDeps) {
  const context = {
    ...deps,
    config,
    factory: createFactoryClient(deps.http, config.factoryUrl),
    // The JWK's own `alg` pins each key; the list bounds it to the product's asymmetric algorithms.
    factoryKeys: remoteKeys(`${config.factoryUrl}/.well-known/jwks.json`, {
      algorithms: SIGNING_ALGORITHMS,
      fetch: deps.http.fetch,
      timeoutMs: config.hopTimeoutMs,
    }),
    peers: createPeerClient(deps.http, config.peers),
    // Valid tokens are reused until close to expiry; an expired one is always asked for afresh.
    serviceTokens: new TokenCache(),
  }
  return createBaseApp({ logger: deps.logger })
    .route('/', basicRoutes(context))
    .route('/', scenarioRoutes(context))
    .route('/', scenarioServerRoutes(context))
    .route('/', scenario5Routes(context))
    .route('/', scenario5ServerRoutes(context))
}
