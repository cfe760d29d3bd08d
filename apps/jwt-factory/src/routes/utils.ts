import { Hono, type Context } from 'hono'
import { addLogFields, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseKeyId } from '../keys/key-id.ts'
import { describeKey, unknownKeyId } from './keys.ts'

/** The original demo's /utils endpoints, and /dump, which its README calls. */
export function utilRoutes({ keyStore }: FactoryContext) {
  const dump = async (c: Context<ServerEnv>) => {
    const dumped = await keyStore.dump()
    addLogFields(c, { dumped: dumped.length })
    return c.json({
      dumped,
      message: `wrote the keys of ${dumped.length} keyId(s) to the keys folder`,
    })
  }
  return new Hono<ServerEnv>()
    .get('/utils/publicKey/:keyId', (c) => {
      const keyId = parseKeyId(c.req.param('keyId'))
      const ring = keyStore.get(keyId)
      if (!ring) throw unknownKeyId(keyId)
      return c.json({ publicKey: describeKey(ring).publicKey })
    })
    .get('/utils/keys', (c) => c.json(keyStore.keyIds()))
    .post('/utils/dump', dump)
    .post('/dump', dump)
}
