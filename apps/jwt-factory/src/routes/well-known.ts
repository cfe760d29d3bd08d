import { Hono } from 'hono'
import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import type { ServerEnv } from '@jwt-factory/server'
import type { FactoryContext } from '../deps.ts'

/** Clients may cache the key set this long; a rotation is seen by a refetch on an unknown kid. */
export const JWKS_MAX_AGE_SECONDS = 300

export function wellKnownRoutes({ jwks, config }: FactoryContext) {
  const discovery = {
    issuer: config.issuer,
    jwks_uri: `${config.publicUrl}/.well-known/jwks.json`,
    issue_token_endpoint: `${config.publicUrl}/issueToken/{keyId}`,
    verify_endpoint: `${config.publicUrl}/verify/{keyId}`,
    keys_endpoint: `${config.publicUrl}/keys/{keyId}`,
    id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
    subject_types_supported: ['public'],
    response_types_supported: ['token'],
  }
  return new Hono<ServerEnv>()
    .get('/.well-known/jwks.json', (c) => {
      c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      return c.json(jwks())
    })
    .get('/.well-known/openid-configuration', (c) => {
      c.header('Cache-Control', `public, max-age=${JWKS_MAX_AGE_SECONDS}`)
      return c.json(discovery)
    })
}
