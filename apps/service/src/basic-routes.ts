import { Hono } from 'hono'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER, type ServiceConfig } from './config.ts'
import type { ServiceContext } from './deps.ts'

/**
 * GET / (who answers, where to go from here), /hello, /healthz and the original's POST /gen-keys
 * (writes and reloads the scenario-3 keys).
 */
export function basicRoutes({ config, scenario3, logger }: ServiceContext) {
  const me = config.name
  const home = homeAnswer(config)
  return new Hono<ServerEnv>()
    .get('/', (c) => c.json(home))
    .get('/hello', (c) => c.json({ message: `hello from ${me}` }))
    .get('/healthz', (c) => c.json({ status: 'ok', service: me }))
    .post('/gen-keys', async (c) => {
      const key = await scenario3.regenerate()
      addLogFields(c, { kid: key.kid, alg: key.alg })
      logger.info(
        { rid: c.get('requestId'), kid: key.kid },
        `${me}: wrote new scenario-3 keys to ${config.scenario3.keysDir}`,
      )
      return c.json(
        {
          message: 'scenario-3 keys generated',
          kid: key.kid,
          alg: key.alg,
          files: ['jwt-private.pem', 'jwt-public.pem'],
        },
        201,
      )
    })
}

/** What GET / says on each of a service's ports: the calling side, or a verifying side. */
function homeAnswer({ name, callerUrl, consoleUrl }: ServiceConfig) {
  const consoleAt = `${consoleUrl} (the teaching console, when npm start runs it)`
  const common = {
    'GET /hello': 'a greeting, no token needed',
    'GET /healthz': 'whether it runs',
    'GET /control/state':
      'the key sets it has fetched, as the console shows them (this machine only)',
  }
  if (name === SCENARIO_CALLER) {
    return {
      name,
      about:
        'the calling side of every scenario: it gets a token (from jwt-factory, or signs its own in scenarios 3 and 4) and calls serviceb and servicec with it',
      console: consoleAt,
      try: {
        'GET /scenario1':
          'a jwt-factory token to serviceb; add ?verify=jwks, ?expired=1, ?fresh=1, ?trace=1; in a cluster with Istio, ?verify=mesh (the sidecar verifies, serviceb trusts it)',
        'GET /scenario2':
          'one token per audience, to serviceb and servicec; ?verify=mesh as in scenario 1',
        'GET /scenario3':
          'a token servicea signs with scenario-3-keys/, verified with its public key',
        'GET /scenario4': 'scenario 3 for serviceb and servicec',
        'GET /scenario5':
          "a user's token passed along: Authorization: Bearer <the factory's POST /login token>",
        'GET /scenario6':
          "the user's token exchanged at each hop, servicea → serviceb → servicec (POST /token, RFC 8693); ?skip=1 tries to skip serviceb",
        ...common,
        'GET /control/state':
          'its cached tokens, its scenario-3 key and its key sets, as the console shows them (this machine only)',
      },
    }
  }
  return {
    name,
    about: `a verifying side: it checks the token ${SCENARIO_CALLER} sends to its /scenarioN-server; the scenarios start at ${callerUrl}/scenario1`,
    console: consoleAt,
    try: {
      'GET /scenario1-server': `needs ${SCENARIO_CALLER}'s token (Authorization: Bearer …): ${SCENARIO_CALLER}'s /scenario1 sends it`,
      ...common,
    },
  }
}
