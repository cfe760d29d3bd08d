import { Hono } from 'hono'
import { addLogFields, ConflictError, NotFoundError, type ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import type { FactoryErrorCode } from '../factory-error-code.ts'
import { parseKeyId } from '../keys/key-id.ts'
import type { KeyRing, KeyStore } from '../keys/key-store.ts'
import { USER_KEY_ID } from '../keys/user-keys.ts'

/** The original demo's answer: `publicKey` is the base64 of the PEM. */
export function describeKey(ring: KeyRing) {
  const { kid, alg, publicPem } = ring.active
  return { keyId: ring.keyId, kid, alg, publicKey: Buffer.from(publicPem).toString('base64') }
}

export function keyRoutes({ keyStore, userKeys }: FactoryContext) {
  /**
   * A service's keyId, or `users`: the user key lives in a store of its own, and is managed the
   * same way (a user key may need rotating as much as any other), except that it is never removed.
   */
  const storeFor = (param: string | undefined): { keyId: string; store: KeyStore } =>
    param === USER_KEY_ID
      ? { keyId: USER_KEY_ID, store: userKeys.store() }
      : { keyId: parseKeyId(param), store: keyStore }

  return new Hono<ServerEnv>()
    .get('/keys/:keyId', async (c) => {
      const { keyId, store } = storeFor(c.req.param('keyId'))
      const { ring, created } = await store.ensure(keyId)
      addLogFields(c, { keyId, kid: ring.active.kid, created })
      return c.json(describeKey(ring), created ? 201 : 200)
    })
    .post('/keys/:keyId', async (c) => {
      const { keyId, store } = storeFor(c.req.param('keyId'))
      const ring = await store.rotate(keyId)
      addLogFields(c, { keyId, kid: ring.active.kid, keys: ring.keys.size })
      return c.json(describeKey(ring), 201)
    })
    .delete('/keys/:keyId/:kid', async (c) => {
      const { keyId, store } = storeFor(c.req.param('keyId'))
      const kid = c.req.param('kid')
      if (!store.get(keyId)) throw unknownKeyId(keyId)
      if (!(await store.retire(keyId, kid))) {
        throw new NotFoundError(`${keyId} has no key with kid ${kid.slice(0, 64)}`, 'ERR_NOT_FOUND')
      }
      addLogFields(c, { keyId, kid })
      return c.json({ keyId, kid, retired: true })
    })
    .delete('/keys/:keyId', async (c) => {
      if (c.req.param('keyId') === USER_KEY_ID) {
        // Every live user token would stop verifying, and the next login would make a new key
        // unannounced: rotating, then retiring the old kid, does the same on purpose.
        throw new ConflictError(
          `the user key is not removed: rotate it (POST /keys/${USER_KEY_ID}), then retire the old kid (DELETE /keys/${USER_KEY_ID}/<kid>)`,
        )
      }
      const keyId = parseKeyId(c.req.param('keyId'))
      if (!(await keyStore.remove(keyId))) throw unknownKeyId(keyId)
      addLogFields(c, { keyId })
      return c.json({ keyId, removed: true })
    })
}

export function unknownKeyId(keyId: string): NotFoundError {
  return new NotFoundError<FactoryErrorCode>(
    `unknown keyId ${keyId}: create its keys with GET /keys/${keyId}`,
    'ERR_UNKNOWN_KEY_ID',
  )
}
