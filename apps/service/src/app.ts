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
import { SCENARIO_CALLER, scenarioServerRoutes } from './routes/scenario-servers.ts'
import { scenarioRoutes } from './routes/scenarios.ts'

/** Builds a service's hono app (servicea, serviceb or servicec); it never listens. */
export function createServiceApp(config: ServiceConfig, deps: ServiceDeps) {
  // A rotated key's first token names a kid the cache lacks: refetch then, at most once a second
  // (jose's default 30 s refused every new key's tokens for up to 30 s after a fetch).
  const factoryKeySet = (path: string) =>
    remoteKeys(`${config.factoryUrl}${path}`, {
      algorithms: SIGNING_ALGORITHMS,
      fetch: deps.http.fetch,
      timeoutMs: config.hopTimeoutMs,
      cooldownMs: 1000,
    })
  const context = {
    ...deps,
    config,
    factory: createFactoryClient(deps.http, config.factoryUrl),
    // Pinned key sets, not the whole JWKS: servicea's keys for its service tokens, the factory's
    // user key for user tokens. A set of every service's keys would let serviceb's key speak for
    // servicea. Each JWK's own `alg` pins its key; the list bounds it to the asymmetric algorithms.
    callerKeys: factoryKeySet(`/jwks/${SCENARIO_CALLER}`),
    userKeys: factoryKeySet('/jwks/users'),
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
