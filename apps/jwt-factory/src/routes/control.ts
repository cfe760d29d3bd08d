import { Hono, type Context } from 'hono'
import {
  addLogFields,
  BadRequestError,
  logQuietly,
  loopbackOnly,
  readJsonObject,
  UnsupportedMediaTypeError,
  type ServerEnv,
} from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import type { KeyStore } from '../keys/key-store.ts'
import { JWKS_FAULTS, type JwksFaultMode } from '../keys/jwks-fault.ts'
import { USER_KEY_ID, type UserKeys } from '../keys/user-keys.ts'

/** One key as the console's key panel shows it: never a private member, never a PEM. */
export interface KeyState {
  kid: string
  alg: string
  /** The key new tokens are signed with; the others still verify. */
  active: boolean
  /**
   * When it was made (ms since the epoch). Never sent yet: the key files keep no creation time.
   * The console's page orders keys by it when it is there, and by the factory's order otherwise.
   */
  createdAt?: number
}

/** `GET /control/state`: what the teaching console shows of the factory. */
export interface FactoryControlState {
  /** Every keyId's live keys (`servicea`…, and `users` once the user key exists). */
  keys: Record<string, KeyState[]>
  jwksFault: JwksFaultMode
}

/**
 * What the teaching console steers and shows, from this machine only (loopbackOnly; a factory
 * beyond loopback refuses these endpoints outright, see exposure/endpoints.ts): which keys the
 * factory holds, and the JWKS fault, applied here in front of every JWKS endpoint. Routed before
 * the JWKS routes, so the fault runs first.
 */
export function controlRoutes({ keyStore, userKeys, jwksFault }: FactoryContext) {
  const fault = jwksFault.middleware()
  return new Hono<ServerEnv>()
    .use('/.well-known/jwks.json', fault)
    .use('/jwks/:keyId', fault) // /jwks/users too
    .use('/control/*', loopbackOnly("jwt-factory's control endpoints"))
    .get('/control/state', (c) => {
      logQuietly(c)
      return c.json({
        keys: keyStates(keyStore, userKeys),
        jwksFault: jwksFault.mode,
      } satisfies FactoryControlState)
    })
    .post('/control/jwks-fault', async (c) => {
      const mode = await readFault(c)
      jwksFault.set(mode)
      addLogFields(c, { jwksFault: mode })
      return c.json({ jwksFault: mode, delayMs: jwksFault.delayMs })
    })
}

/** Every keyId's live keys, the user key (`users`) included once it exists. */
function keyStates(keyStore: KeyStore, userKeys: UserKeys): Record<string, KeyState[]> {
  const keys: Record<string, KeyState[]> = {}
  for (const keyId of keyStore.keyIds()) {
    const ring = keyStore.get(keyId)
    if (!ring) continue
    keys[keyId] = [...ring.keys.values()].map((k) => ({
      kid: k.kid,
      alg: k.alg,
      active: k.kid === ring.active.kid,
    }))
  }
  const activeUserKey = userKeys.lookup(undefined)
  if (activeUserKey) {
    keys[USER_KEY_ID] = userKeys.jwks().keys.map((k) => ({
      kid: k.kid,
      alg: k.alg,
      active: k.kid === activeUserKey.kid,
    }))
  }
  return keys
}

/**
 * `{ "fault": "none" | "slow" | "failing" }`, sent as application/json: a page in the learner's
 * browser may post a form or text/plain to localhost without asking, but JSON needs a CORS
 * preflight, which the factory never grants.
 */
async function readFault(c: Context<ServerEnv>): Promise<JwksFaultMode> {
  if (!/^application\/json\s*(?:;|$)/i.test(c.req.header('content-type') ?? '')) {
    throw new UnsupportedMediaTypeError(
      'POST /control/jwks-fault takes JSON only (content-type: application/json)',
    )
  }
  const { fault } = await readJsonObject(c)
  if (!JWKS_FAULTS.includes(fault as JwksFaultMode)) {
    throw new BadRequestError(`fault must be one of ${JWKS_FAULTS.join(', ')}`)
  }
  return fault as JwksFaultMode
}
