import {
  remoteKeys,
  signToken,
  SIGNING_ALGORITHMS,
  verifyToken,
  type Jwks,
  type VerifyResult,
} from '@jwt-factory/jwt'
import { afterEach, describe, expect, it } from 'vitest'
import { createLoginFactory, TEST_USERS } from '../login/login-test-support.ts'
import { CLIENT_CREDENTIALS, TOKEN_EXCHANGE } from '../oauth/grant.ts'

type Factory = Awaited<ReturnType<typeof createLoginFactory>>
type Document = Record<string, unknown> & { issuer: string; jwks_uri: string }

let f: Factory | undefined
afterEach(async () => {
  await f?.cleanup()
  f = undefined
})

/** OpenID Connect Discovery 1.0 §4: the issuer, then the well-known path. */
const oidcUrl = (issuer: string) => `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`
/** RFC 8414 §3.1: the well-known path between the host and the issuer's path. */
function rfc8414Url(issuer: string): string {
  const url = new URL(issuer)
  const path = url.pathname === '/' ? '' : url.pathname
  return `${url.origin}/.well-known/oauth-authorization-server${path}`
}

async function discover(factory: Factory, url: string): Promise<Document> {
  const res = await factory.app.request(url)
  expect(res.status, url).toBe(200)
  expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  return (await res.json()) as Document
}

/** Both documents, each fetched from both of its well-known URLs (which must agree). */
async function documents(factory: Factory) {
  const [services, users] = await Promise.all(
    [factory.config.serviceIssuer, factory.config.userIssuer].map(async (issuer) => {
      const [oidc, oauth] = await Promise.all([
        discover(factory, oidcUrl(issuer)),
        discover(factory, rfc8414Url(issuer)),
      ])
      expect(oauth).toEqual(oidc)
      return oidc
    }),
  )
  return { services: services!, users: users! }
}

/** Every URL a document holds, nested arrays included. */
const urlsIn = (doc: Document) =>
  Object.values(doc)
    .flat()
    .filter((v): v is string => typeof v === 'string' && /^[a-z][a-z0-9+.-]*:\/\//i.test(v))

/**
 * A standard consumer of one issuer: its discovered jwks_uri, `iss` and `aud`, and no at+jwt rule
 * (the default `typ: JWT`, what the keyId's token carries): only the keys can refuse it.
 */
function consumerOf(factory: Factory, doc: Document) {
  const keys = remoteKeys(doc.jwks_uri, {
    algorithms: SIGNING_ALGORITHMS,
    fetch: async (url, init) => factory.app.request(url, init),
  })
  return (token: string): Promise<VerifyResult> =>
    verifyToken(token, keys, {
      issuer: doc.issuer,
      audience: 'jwt-factory',
      currentDate: factory.now(),
    })
}

const kidsOf = async (factory: Factory, url: string) =>
  ((await (await factory.app.request(url)).json()) as Jwks).keys.map((k) => k.kid)

describe('discovery: two issuers, each with its own document (OIDC Discovery 1.0, RFC 8414)', () => {
  it('serves each document at both well-known URLs a client derives from the issuer, naming exactly that issuer', async () => {
    f = await createLoginFactory()
    expect(f.config.serviceIssuer).toBe('https://localhost:5443')
    expect(f.config.userIssuer).toBe('https://localhost:5443/users')
    const { services, users } = await documents(f)
    expect(services.issuer).toBe(f.config.serviceIssuer)
    expect(users.issuer).toBe(f.config.userIssuer)
    const res = await f.app.request(rfc8414Url(f.config.userIssuer))
    expect(res.headers.get('cache-control')).toBe('public, max-age=300')
  })

  it('every URL in both documents is https and under PUBLIC_URL', async () => {
    f = await createLoginFactory()
    const { services, users } = await documents(f)
    for (const doc of [services, users]) {
      const urls = urlsIn(doc)
      expect(urls.length).toBeGreaterThanOrEqual(8)
      for (const url of urls) expect(url).toMatch(/^https:\/\/localhost:5443(\/|$)/)
    }
  })

  it('lists what an OAuth client needs: one /token, /introspect and /revoke, the grants, auth methods and scopes', async () => {
    f = await createLoginFactory()
    const { services, users } = await documents(f)
    const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt']
    const common = {
      token_endpoint: 'https://localhost:5443/token',
      token_endpoint_auth_methods_supported: methods,
      token_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      introspection_endpoint: 'https://localhost:5443/introspect',
      introspection_endpoint_auth_methods_supported: methods,
      introspection_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      revocation_endpoint: 'https://localhost:5443/revoke',
      revocation_endpoint_auth_methods_supported: methods,
      revocation_endpoint_auth_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      response_types_supported: [],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: [...SIGNING_ALGORITHMS],
      service_jwks_uri: 'https://localhost:5443/jwks/{keyId}',
      user_jwks_uri: 'https://localhost:5443/jwks/users',
    }
    expect(services).toMatchObject({
      ...common,
      jwks_uri: 'https://localhost:5443/.well-known/jwks.json',
      grant_types_supported: [CLIENT_CREDENTIALS, TOKEN_EXCHANGE],
      // The committed policy names scopes for the `reports` keyId only.
      scopes_supported: ['reports:read', 'reports:write'],
      issue_token_endpoint: 'https://localhost:5443/issueToken/{keyId}',
      verify_endpoint: 'https://localhost:5443/verify/{keyId}',
      keys_endpoint: 'https://localhost:5443/keys/{keyId}',
    })
    expect(users).toMatchObject({
      ...common,
      jwks_uri: 'https://localhost:5443/jwks/users',
      grant_types_supported: [TOKEN_EXCHANGE],
      // Every permission a role of the policy gives.
      scopes_supported: ['app-manage', 'app-view', 'token-issue'],
      login_endpoint: 'https://localhost:5443/login',
    })
    expect(users.claims_supported).toEqual(
      expect.arrayContaining(['client_id', 'auth_time', 'act']),
    )
    expect(services.claims_supported).toEqual(expect.arrayContaining(['client_id', 'act']))
    expect(services).not.toHaveProperty('login_endpoint')
    expect(users).not.toHaveProperty('issue_token_endpoint')
  })

  it('follows PUBLIC_URL for a deployment behind a name: issuers, well-known URLs and every URL', async () => {
    f = await createLoginFactory({ PUBLIC_URL: 'https://factory.example/' })
    expect(f.config.serviceIssuer).toBe('https://factory.example')
    const { services, users } = await documents(f)
    expect(users.issuer).toBe('https://factory.example/users')
    expect(users.token_endpoint).toBe('https://factory.example/token')
    for (const url of [...urlsIn(services), ...urlsIn(users)]) {
      expect(url).toMatch(/^https:\/\/factory\.example(\/|$)/)
    }
  })

  it("each jwks_uri holds its own issuer's keys alone: the service keys, or the user key", async () => {
    f = await createLoginFactory()
    await f.app.request('/keys/servicea')
    expect((await f.login(TEST_USERS.alice.name, TEST_USERS.alice.password)).status).toBe(200)
    const { services, users } = await documents(f)
    const userKid = (await f.userKeys.signingKey()).kid
    expect(await kidsOf(f, services.jwks_uri)).toEqual([f.keyStore.get('servicea')!.active.kid])
    expect(await kidsOf(f, users.jwks_uri)).toEqual([userKid])
  })
})

describe('attack: a keyId cannot become a user', () => {
  it('attack: a keyId named admin (GET /keys/admin) signs sub admin, scope app-manage: only a service token of the service issuer; the user issuer refuses it', async () => {
    f = await createLoginFactory()
    expect((await f.app.request('/keys/admin')).status).toBe(201)
    const issued = await f.app.request('/issueToken/admin', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ aud: 'jwt-factory', scope: 'app-manage' }),
    })
    expect(issued.status).toBe(200)
    const token = await issued.text()
    const { services, users } = await documents(f)

    // The service issuer's consumer takes it, as what it is: a service token about keyId admin.
    const asService = await consumerOf(f, services)(token)
    expect(asService).toMatchObject({ valid: true, claims: { iss: f.config.serviceIssuer } })
    // The user issuer's consumer, checking iss and aud as jsonwebtoken + jwks-rsa would, refuses it.
    const asUser = consumerOf(f, users)
    expect((await asUser(token)).valid).toBe(false)

    // Asking for the user issuer's iss is refused; signed so anyway, its key is not in that set.
    const claimed = await f.app.request('/issueToken/admin', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ iss: f.config.userIssuer, aud: 'jwt-factory', scope: 'app-manage' }),
    })
    expect(claimed.status).toBe(400)
    expect(await claimed.json()).toMatchObject({ error: { code: 'ERR_INVALID_CLAIMS' } })
    const adminKey = f.keyStore.get('admin')!.active
    const forged = await signToken(
      adminKey,
      { iss: f.config.userIssuer, sub: 'admin', aud: 'jwt-factory', scope: 'app-manage' },
      { ttlSeconds: 60, now: f.now() },
    )
    expect(await kidsOf(f, users.jwks_uri)).not.toContain(adminKey.kid)
    const refused = await asUser(forged.token)
    expect(refused.valid).toBe(false)
    // Not refused for its claims: the user issuer has no key that could have signed it.
    expect(refused).toMatchObject({ error: { name: 'JsonWebTokenError' } })
  })
})
