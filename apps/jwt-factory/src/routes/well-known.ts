import { Hono } from 'hono'
import { SIGNING_ALGORITHMS, toJwks } from '@jwt-factory/jwt'
import type { ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'
import { parseKeyId } from '../keys/key-id.ts'
import { unknownKeyId } from './keys.ts'

/** Clients may cache the key set this long; a rotation is seen by a refetch on an unknown kid. */
export const JWKS_MAX_AGE_SECONDS = 300

export function wellKnownRoutes({ jwks, keyStore, userKeys, config }: FactoryContext) {
  const discovery = {
    issuer: config.issuer,
    jwks_uri: `${config.publicUrl}/.well-known/jwks.json`,
    issue_token_endpoint: `${config.publicUrl}/issueToken/{keyId}`,
    verify_endpoint: `${config.publicUrl}/verify/{keyId}`,
    keys_endpoint: `${config.publicUrl}/keys/{keyId}`,
    service_jwks_uri: `${config.publicUrl}/jwks/{keyId}`,
    user_jwks_uri: `${config.publicUrl}/jwks/users`,
    id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    subject_types_supported: ['public'],
    response_types_supported: ['token'],
  }
  return (
    new Hono<ServerEnv>()
      .get('/.well-known/jwks.json', (c) => {
        c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        return c.json(jwks())
      })
      // One service's keys alone. A JWKS cannot say which key speaks for which service, so a
      // verifier that trusts the whole set would take serviceb's key signing for anyone: pin to
      // the caller's own set instead (what ?verify=jwks does).
      .get('/jwks/users', (c) => {
        c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        return c.json(userKeys.jwks())
      })
      .get('/jwks/:keyId', (c) => {
        const keyId = parseKeyId(c.req.param('keyId'))
        const ring = keyStore.get(keyId)
        if (!ring) throw unknownKeyId(keyId)
        c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        return c.json(toJwks(ring.keys.values()))
      })
      .get('/.well-known/openid-configuration', (c) => {
        c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
        return c.json(discovery)
      })
  )
}
