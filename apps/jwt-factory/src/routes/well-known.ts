import { Hono, type Context } from 'hono'
import { toJwks } from '@jwt-factory/jwt'
import type { ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseKeyId, USER_KEYS_PATH_ID } from '../keys/key-id.ts'
import { discoveryDocument } from '../oauth/discovery-document.ts'
import { unknownKeyId } from './keys.ts'

/**
 * The public keys and both issuers' discovery documents. A JWKS cannot say which key speaks for
 * whom, so each issuer publishes only its own: the service issuer's set holds the service keys,
 * the user issuer's the user key; a consumer of one can never take the other's token.
 */
export function wellKnownRoutes({ keyStore, userKeys, config, policy }: FactoryContext) {
  const services = discoveryDocument(config, policy, 'services')
  const users = discoveryDocument(config, policy, 'users')
  const cacheable = (c: Context<ServerEnv>, body: object) => {
    // Clients may keep a key set (and a discovery document) this long (JWKS_MAX_AGE_SECONDS); a
    // rotation is seen at once by a refetch on an unknown kid, a retirement only once it passed.
    c.header('Cache-Control', `public, max-age=${config.jwksMaxAgeSeconds}`)
    return c.json(body)
  }
  return (
    new Hono<ServerEnv>()
      .get('/.well-known/jwks.json', (c) => cacheable(c, keyStore.jwks()))
      // One service's keys alone. The service issuer's set cannot say which key speaks for which
      // service, so a verifier that trusts all of it would take serviceb's key signing for anyone:
      // pin to the caller's own set instead (what ?verify=jwks does). /jwks/users, the user key,
      // is this route too: hono's fastest router (RegExpRouter) takes no static path beside a
      // parameter, and one such route makes the app route every request through its TrieRouter.
      .get('/jwks/:keyId', (c) => {
        if (c.req.param('keyId') === USER_KEYS_PATH_ID) return cacheable(c, userKeys.jwks())
        const keyId = parseKeyId(c.req.param('keyId'))
        const ring = keyStore.get(keyId)
        if (!ring) throw unknownKeyId(keyId)
        return cacheable(c, toJwks(ring.keys.values()))
      })
      // OpenID Connect Discovery appends the well-known path to the issuer; RFC 8414 §3.1 inserts
      // it before the issuer's path. Both, for each issuer, with the same document.
      .get('/.well-known/openid-configuration', (c) => cacheable(c, services))
      .get('/.well-known/oauth-authorization-server', (c) => cacheable(c, services))
      .get('/users/.well-known/openid-configuration', (c) => cacheable(c, users))
      .get('/.well-known/oauth-authorization-server/users', (c) => cacheable(c, users))
  )
}
