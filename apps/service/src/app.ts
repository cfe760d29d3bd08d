import type { Hono, NotFoundHandler } from 'hono'
import { remoteKeys, SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import {
  createBaseApp,
  FAULT_HEADER,
  faultOf,
  freezeWhenAsked,
  handleNotFound,
  NotFoundError,
  type ServerEnv,
} from '@jwt-factory/server'
import { basicRoutes } from './basic-routes.ts'
import { SCENARIO_CALLER, type ServiceConfig } from './config.ts'
import { controlRoutes } from './control-routes.ts'
import type { ServiceContext, ServiceDeps } from './deps.ts'
import { createHopClient, FACTORY_HOP } from './peers/hop-client.ts'
import { scenario1 } from './scenarios/scenario1.ts'
import { scenario2 } from './scenarios/scenario2.ts'
import { scenario3 } from './scenarios/scenario3.ts'
import { scenario4 } from './scenarios/scenario4.ts'
import { scenario5 } from './scenarios/scenario5.ts'
import { scenario6 } from './scenarios/scenario6.ts'
import { answeredWithTrace } from './trace.ts'

/**
 * Builds a service's hono app (servicea, serviceb or servicec); it never listens. Every service
 * answers the verifying side of each scenario (/scenarioN-server); only servicea has the calling
 * side (/scenarioN).
 */
export function createServiceApp(config: ServiceConfig, deps: ServiceDeps) {
  // A rotated key's first token names a kid the cache lacks: refetch then, at most once per
  // cooldown, 1 s by default (jose's default 30 s refused a new key's tokens for up to 30 s).
  const factoryKeySet = (path: string, name: string, headers: Record<string, string> = {}) =>
    remoteKeys(`${config.factoryUrl}${path}`, {
      name: `${name} at ${FACTORY_HOP}`,
      hop: FACTORY_HOP,
      algorithms: SIGNING_ALGORITHMS,
      fetch: (url, init) =>
        deps.http.fetch(url, { ...init, headers: { ...headersOf(init.headers), ...headers } }),
      timeoutMs: config.hopTimeoutMs,
      cooldownMs: config.keysReloadCooldownMs,
    })
  const keySets = {
    caller: [`/jwks/${SCENARIO_CALLER}`, `${SCENARIO_CALLER}'s keys`],
    user: ['/jwks/users', 'the user keys'],
  } as const
  const callerKeys = factoryKeySet(...keySets.caller)
  const userKeys = factoryKeySet(...keySets.user)
  const context: ServiceContext = {
    ...deps,
    config,
    hops: createHopClient({
      http: deps.http,
      config,
      logger: deps.logger,
      clientSecret: deps.clientSecret,
    }),
    // Pinned key sets, not the whole JWKS: servicea's keys for its service tokens, the factory's
    // user key for user tokens. A set of every service's keys would let serviceb's key speak for
    // servicea. Each JWK's own `alg` pins its key; the list bounds it to the asymmetric algorithms.
    callerKeys,
    userKeys,
    // A JWKS fault is about the fetch: that request fetches its set afresh, the fault sent along.
    keysFor: (which, c) => {
      const fault = faultOf(c)
      if (fault?.kind !== 'jwks') return which === 'caller' ? callerKeys : userKeys
      const [path, name] = keySets[which]
      return factoryKeySet(path, name, { [FAULT_HEADER]: fault.value })
    },
  }
  const isCaller = config.name === SCENARIO_CALLER
  const app = createBaseApp({ logger: deps.logger })
    .use(answeredWithTrace())
    .use(freezeWhenAsked(config.name))
    .route('/', basicRoutes(context))
    .route('/', controlRoutes(context))
  const callingPaths = new Set<string>()
  const scenarios: { caller: Hono<ServerEnv>; server: Hono<ServerEnv> }[] = [
    scenario1(context),
    scenario2(context),
    scenario3(context),
    scenario4(context),
    scenario5(context),
    scenario6(context),
  ]
  for (const { caller, server } of scenarios) {
    app.route('/', server)
    if (isCaller) app.route('/', caller)
    else for (const route of caller.routes) callingPaths.add(route.path)
  }
  if (!isCaller) app.notFound(scenariosRunOnCaller(config, callingPaths))
  return app
}

/** Sends whoever asks serviceb or servicec for a scenario to servicea, in a JSON 404. */
function scenariosRunOnCaller(
  { name: me, callerUrl }: ServiceConfig,
  callingPaths: Set<string>,
): NotFoundHandler<ServerEnv> {
  return function scenarioElsewhere(c) {
    const path = c.req.path
    if (!callingPaths.has(path)) return handleNotFound(c)
    const err = new NotFoundError(
      `scenarios run on ${SCENARIO_CALLER} (curl --cacert certs/ca.pem ${callerUrl}${path}); ${me} answers ${path}-server`,
    )
    return c.json(err.toJSON(), 404)
  }
}

/** The headers jose sends (a Headers, a record or pairs), as a record to add to. */
const headersOf = (headers: RequestInit['headers']): Record<string, string> =>
  Object.fromEntries(new Headers(headers).entries())
