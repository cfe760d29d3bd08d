import { Hono } from 'hono'
import { addLogFields, NotFoundError, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseKeyId } from '../keys/key-id.ts'
import type { KeyRing } from '../keys/file-key-store.ts'

/** The original demo's answer: `publicKey` is the base64 of the PEM. */
export function describeKey(ring: KeyRing) {
  const { kid, alg, publicPem } = ring.active
  return { keyId: ring.keyId, kid, alg, publicKey: Buffer.from(publicPem).toString('base64') }
}

export function keyRoutes({ keyStore }: FactoryContext) {
  return new Hono<ServerEnv>()
    .get('/keys/:keyId', async (c) => {
      const keyId = parseKeyId(c.req.param('keyId'))
      const { ring, created } = await keyStore.ensure(keyId)
      addLogFields(c, { keyId, kid: ring.active.kid, created })
      return c.json(describeKey(ring), created ? 201 : 200)
    })
    .post('/keys/:keyId', async (c) => {
      const keyId = parseKeyId(c.req.param('keyId'))
      const ring = await keyStore.rotate(keyId)
      addLogFields(c, { keyId, kid: ring.active.kid, keys: ring.keys.size })
      return c.json(describeKey(ring), 201)
    })
    .delete('/keys/:keyId/:kid', async (c) => {
      const keyId = parseKeyId(c.req.param('keyId'))
      const kid = c.req.param('kid')
      if (!keyStore.get(keyId)) throw unknownKeyId(keyId)
      if (!(await keyStore.retire(keyId, kid))) {
        throw new NotFoundError(`${keyId} has no key with kid ${kid.slice(0, 64)}`, 'ERR_NOT_FOUND')
      }
      addLogFields(c, { keyId, kid })
      return c.json({ keyId, kid, retired: true })
    })
    .delete('/keys/:keyId', async (c) => {
      const keyId = parseKeyId(c.req.param('keyId'))
      if (!(await keyStore.remove(keyId))) throw unknownKeyId(keyId)
      addLogFields(c, { keyId })
      return c.json({ keyId, removed: true })
    })
}

export function unknownKeyId(keyId: string): NotFoundError {
  return new NotFoundError(`unknown keyId ${keyId}: create its keys with GET /keys/${keyId}`, 'ERR_UNKNOWN_KEY_ID')
}
