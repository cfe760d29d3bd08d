/**
 * What each factory endpoint carries, which decides how it is guarded when the factory listens
 * beyond loopback (see exposure-guard.ts). Every route of the app must be listed: the app refuses
 * to build with a route nobody classified, so a new endpoint cannot go out unguarded by mistake.
 *
 * - public: nothing secret in either direction (health, public keys); served everywhere.
 * - secret: carries a password, a TOTP code or a token; never over plain HTTP across a network.
 * - admin: key management; a secret endpoint that also needs the admin credential.
 * - issue: a service token for :keyId; only to the service that proves it is :keyId (mutual TLS).
 * - control: the teaching console's steering (routes/control.ts); from this machine only, and
 *   refused outright beyond loopback, where no console runs beside the factory.
 */
export type EndpointClass = 'public' | 'secret' | 'admin' | 'issue' | 'control'

export const ENDPOINTS: Readonly<Record<string, EndpointClass>> = Object.freeze({
  'GET /': 'public',
  'GET /healthz': 'public',
  'GET /.well-known/jwks.json': 'public',
  'GET /.well-known/openid-configuration': 'public',
  'GET /.well-known/oauth-authorization-server': 'public',
  'GET /users/.well-known/openid-configuration': 'public',
  'GET /.well-known/oauth-authorization-server/users': 'public',
  'GET /jwks/:keyId': 'public',
  'GET /utils/publicKey/:keyId': 'public',
  'GET /utils/keys': 'public',
  'POST /verify/:keyId': 'secret',
  'POST /login': 'secret',
  'POST /totp/validate': 'secret',
  'POST /auth': 'secret',
  'POST /introspect': 'secret',
  'POST /revoke': 'secret',
  'POST /token': 'secret',
  'GET /keys/:keyId': 'admin',
  'POST /keys/:keyId': 'admin',
  'DELETE /keys/:keyId/:kid': 'admin',
  'DELETE /keys/:keyId': 'admin',
  'POST /utils/dump': 'admin',
  'POST /dump': 'admin',
  'POST /issueToken/:keyId': 'issue',
  'GET /control/state': 'control',
  'POST /control/jwks-fault': 'control',
})

/** Throws a TypeError naming every route of the app that ENDPOINTS does not classify. */
export function assertEndpointsClassified(
  routes: readonly { method: string; path: string }[],
): void {
  const unclassified = routes
    .filter((r) => r.method !== 'ALL') // middleware
    .map((r) => `${r.method} ${r.path}`)
    .filter((endpoint) => !(endpoint in ENDPOINTS))
  if (unclassified.length > 0) {
    throw new TypeError(
      `classify ${[...new Set(unclassified)].join(', ')} in exposure/endpoints.ts (public, secret, admin, issue or control)`,
    )
  }
}
