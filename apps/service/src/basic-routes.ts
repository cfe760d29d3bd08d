import { Hono } from 'hono'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'
import type { ServiceContext } from './deps.ts'

/** /hello, /healthz and the original's POST /gen-keys (writes and reloads the scenario-3 keys). */
export function basicRoutes({ config, scenario3, logger }: ServiceContext) {
  const me = config.name
  return new Hono<ServerEnv>()
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
