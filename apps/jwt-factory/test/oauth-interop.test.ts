import * as oauth from 'oauth4webapi'
import * as client from 'openid-client'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import {
  ACCESS_TOKEN_TYPE,
  CLIENT_CREDENTIALS,
  JWT_BEARER_ASSERTION,
  TOKEN_EXCHANGE,
} from '../src/oauth/grant.ts'
import { cleanUp } from './factory-process.ts'
import {
  discover,
  loginUser,
  postForm,
  secretClient,
  startInteropFactory,
  USER,
  verifyAtFactory,
  type InteropFactory,
} from './oauth-interop-factory.ts'
import { splitToken } from './token-parts.ts'

/**
 * The factory as outside teams use it: panva's openid-client 6.9 and oauth4webapi 3.8, unchanged,
 * against the real process over HTTPS with the project's CA. Each library's checks are the
 * standards' (OIDC Discovery 1.0, RFC 8414, 6749, 7523, 8693, 7662, 7009, 9068): what they refuse,
 * a standard client cannot use.
 */
let factory: InteropFactory
const claimsOf = (token: string) => splitToken(token).payload
const headerOf = (token: string) => splitToken(token).header

beforeAll(async () => {
  factory = await startInteropFactory()
})
// A library reports a refusal as its own error; the factory's answer says why (error_description).
beforeEach(({ onTestFailed }) => {
  factory.refusals.length = 0
  onTestFailed(() => console.error(`the factory's refusals:\n${factory.refusals.join('\n')}`))
})
afterAll(async () => {
  await factory?.http.close()
  await cleanUp()
})

/** RFC 8693 through openid-client's generic grant: `from` exchanges `subjectToken` for `audience`. */
const exchange = async (
  from: 'servicea' | 'serviceb',
  subjectToken: string,
  audience: string,
  extra: Record<string, string> = {},
) =>
  client.genericGrantRequest(
    await secretClient(factory, from, factory.userIssuer),
    TOKEN_EXCHANGE,
    { subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, audience, ...extra },
  )

/** oauth4webapi's resource-server check of `token`, with `issuer`'s discovered metadata. */
const validate = async (issuer: string, token: string, audience: string) => {
  const metadata = (await secretClient(factory, 'servicea', issuer)).serverMetadata()
  const request = new Request('https://serviceb.example/api', {
    headers: { authorization: `Bearer ${token}` },
  })
  return oauth.validateJwtAccessToken(metadata, request, audience, {
    [oauth.customFetch]: factory.fetch,
  })
}

/** Every member of a discovery document that is a URL. */
const urlMembers = (metadata: object) =>
  Object.entries(metadata).filter(([name]) => /(_endpoint|_uri)$/.test(name))

describe('discovery with openid-client', () => {
  const cases = [
    ['service issuer', 'oidc'],
    ['service issuer', 'oauth2'],
    ['user issuer', 'oidc'],
    ['user issuer', 'oauth2'],
  ] as const
  for (const [which, algorithm] of cases) {
    it(`discovers the ${which} (${algorithm === 'oidc' ? 'OIDC Discovery 1.0 §4' : 'RFC 8414 §3'}): issuer as asked, every URL https`, async () => {
      const issuer = which === 'service issuer' ? factory.serviceIssuer : factory.userIssuer
      const config = await discover(
        factory,
        issuer,
        'servicea',
        client.ClientSecretBasic(factory.secrets.servicea),
        { algorithm },
      )
      const metadata = config.serverMetadata()
      expect(metadata.issuer).toBe(issuer)
      expect(metadata).toMatchObject({
        token_endpoint: `${factory.serviceIssuer}/token`,
        introspection_endpoint: `${factory.serviceIssuer}/introspect`,
        revocation_endpoint: `${factory.serviceIssuer}/revoke`,
        jwks_uri:
          which === 'service issuer'
            ? `${factory.serviceIssuer}/.well-known/jwks.json`
            : `${factory.serviceIssuer}/jwks/users`,
      })
      // A user token comes from a login or an exchange, never from a client's own credentials.
      const grants =
        which === 'service issuer' ? [CLIENT_CREDENTIALS, TOKEN_EXCHANGE] : [TOKEN_EXCHANGE]
      expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(grants))
      expect(metadata.token_endpoint_auth_methods_supported).toEqual(
        expect.arrayContaining(['client_secret_basic', 'client_secret_post', 'private_key_jwt']),
      )
      expect(metadata.token_endpoint_auth_signing_alg_values_supported).toContain('ES256')
      expect(metadata.scopes_supported).toEqual(expect.any(Array))
      if (which === 'user issuer') expect(metadata.scopes_supported).toContain('app-view')
      for (const [name, url] of urlMembers(metadata)) {
        expect(String(url), name).toMatch(new RegExp(`^${factory.serviceIssuer}/`))
      }
    })
  }

  it("each issuer's jwks_uri holds only its own keys: no user key among the services'", async () => {
    await loginUser(factory, 'servicea')
    await client.clientCredentialsGrant(await secretClient(factory, 'servicea'), {
      audience: 'serviceb',
    })
    const kids = async (issuer: string) => {
      const config = await secretClient(factory, 'servicea', issuer)
      const res = await factory.fetch(config.serverMetadata().jwks_uri!, {
        method: 'GET',
        headers: {},
        body: undefined,
        redirect: 'manual',
      })
      return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid)
    }
    const [services, users] = [await kids(factory.serviceIssuer), await kids(factory.userIssuer)]
    expect(services.length).toBeGreaterThan(0)
    expect(users.length).toBe(1)
    expect(services).not.toContain(users[0])
  })
})

describe('client credentials with openid-client (RFC 6749 §4.4), each client authentication', () => {
  const methods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'] as const
  for (const method of methods) {
    it(`${method}: a token for audience serviceb that the factory's /verify accepts`, async () => {
      const config =
        method === 'private_key_jwt'
          ? await discover(
              factory,
              factory.serviceIssuer,
              factory.keyClient.name,
              client.PrivateKeyJwt(factory.keyClient.key),
            )
          : await secretClient(
              factory,
              'servicea',
              factory.serviceIssuer,
              method === 'client_secret_basic' ? 'basic' : 'post',
            )
      const id = config.clientMetadata().client_id
      const answer = await client.clientCredentialsGrant(config, { audience: 'serviceb' })
      expect(answer).toMatchObject({ token_type: 'bearer', expires_in: expect.any(Number) })
      expect(headerOf(answer.access_token)).toMatchObject({ typ: 'JWT' })
      expect(claimsOf(answer.access_token)).toMatchObject({
        iss: factory.serviceIssuer,
        sub: id,
        client_id: id,
        aud: 'serviceb',
        jti: expect.any(String),
      })
      const verdict = await verifyAtFactory(factory, id, answer.access_token, 'serviceb')
      expect(verdict).toMatchObject({ status: 200, body: { valid: true } })
    })
  }

  it('the answer is never cached (RFC 6749 §5.1: Cache-Control no-store)', async () => {
    const body = new URLSearchParams({
      grant_type: CLIENT_CREDENTIALS,
      audience: 'serviceb',
      client_id: 'servicea',
      client_secret: factory.secrets.servicea,
    })
    const res = await postForm(factory, `${factory.serviceIssuer}/token`, body.toString())
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(res.json).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String) })
  })

  it('resource (RFC 8707) sets aud to the resource URI', async () => {
    const config = await secretClient(factory, 'servicea')
    const resource = 'https://serviceb.example/api'
    const answer = await client.clientCredentialsGrant(config, { resource })
    expect(claimsOf(answer.access_token).aud).toBe(resource)
  })

  it('a wrong secret: 401 with a Basic challenge, which openid-client reports as the challenge', async () => {
    const config = await discover(
      factory,
      factory.serviceIssuer,
      'servicea',
      client.ClientSecretBasic('not-the-secret-of-servicea'),
    )
    const err = await client
      .clientCredentialsGrant(config, { audience: 'serviceb' })
      .catch((e: unknown) => e)
    // RFC 6749 §5.2: invalid_client after Authorization: Basic is 401 with WWW-Authenticate;
    // oauth4webapi then reports the challenge (its error body is below, read raw).
    expect(err).toBeInstanceOf(client.WWWAuthenticateChallengeError)
    expect(err).toMatchObject({ status: 401, cause: [{ scheme: 'basic' }] })
    const raw = await postForm(
      factory,
      `${factory.serviceIssuer}/token`,
      'grant_type=client_credentials&audience=serviceb',
      {
        authorization: `Basic ${Buffer.from('servicea:not-the-secret-of-servicea').toString('base64')}`,
      },
    )
    expect(raw.status).toBe(401)
    expect(raw.headers.get('www-authenticate')).toMatch(/^Basic /)
    expect(raw.json).toMatchObject({ error: 'invalid_client' })
  })
})

describe('private_key_jwt assertions (RFC 7523 §3, RFC 7521 §5.2)', () => {
  it('attack: a replayed client assertion → 401 invalid_client; a fresh one (new jti) works', async () => {
    const sent: string[] = []
    const recording: client.CustomFetch = (url, options) => {
      if (options.body instanceof URLSearchParams) sent.push(options.body.toString())
      return factory.fetch(url, options)
    }
    const config = await discover(
      factory,
      factory.serviceIssuer,
      factory.keyClient.name,
      client.PrivateKeyJwt(factory.keyClient.key),
      { fetch: recording },
    )
    await client.clientCredentialsGrant(config, { audience: 'serviceb' })
    await client.clientCredentialsGrant(config, { audience: 'serviceb' })
    expect(sent).toHaveLength(2)
    const first = new URLSearchParams(sent[0])
    expect(first.get('client_assertion_type')).toBe(JWT_BEARER_ASSERTION)
    expect(claimsOf(first.get('client_assertion')!)).toMatchObject({
      iss: factory.keyClient.name,
      sub: factory.keyClient.name,
      aud: factory.serviceIssuer,
    })
    const replay = await postForm(factory, `${factory.serviceIssuer}/token`, sent[0]!)
    expect(replay.status).toBe(401)
    expect(replay.json).toMatchObject({ error: 'invalid_client' })
    expect(String(replay.json.error_description)).toMatch(/jti|replay|used/i)
  })

  /** The key client's assertion with its `aud` set to `aud`, through openid-client's hook. */
  const assertingFor = (issuer: string, aud: string | undefined) =>
    discover(
      factory,
      issuer,
      factory.keyClient.name,
      client.PrivateKeyJwt(factory.keyClient.key, {
        [client.modifyAssertion]: (_header, payload) => {
          if (aud !== undefined) payload.aud = aud
        },
      }),
    )

  it("aud may be the user issuer or the token endpoint's URL (RFC 7523 §3 point 3)", async () => {
    for (const config of [
      await assertingFor(factory.userIssuer, undefined),
      await assertingFor(factory.serviceIssuer, `${factory.serviceIssuer}/token`),
    ]) {
      const answer = await client.clientCredentialsGrant(config, { audience: 'serviceb' })
      expect(claimsOf(answer.access_token).sub).toBe(factory.keyClient.name)
    }
  })

  const now = () => Math.floor(Date.now() / 1000)
  /** What openid-client's hook changes in its assertion, and what the refusal must name. */
  const badAssertions: [string, (payload: Record<string, unknown>) => void, RegExp][] = [
    ['for another server (aud)', (p) => (p.aud = 'https://other-issuer.example'), /\baud\b/],
    ['valid for a day (exp not short)', (p) => (p.exp = now() + 86_400), /expires|\bexp\b/],
    ['without exp', (p) => delete p.exp, /\bexp\b/],
    ['without jti (nothing to hold single-use)', (p) => delete p.jti, /\bjti\b/],
    ['naming another client as iss', (p) => (p.iss = 'servicea'), /\biss(uer)?\b/],
  ]
  for (const [what, change, reason] of badAssertions) {
    it(`attack: an assertion ${what} → 401 invalid_client`, async () => {
      const config = await discover(
        factory,
        factory.serviceIssuer,
        factory.keyClient.name,
        client.PrivateKeyJwt(factory.keyClient.key, {
          [client.modifyAssertion]: (_header, payload) => change(payload),
        }),
      )
      const err = await client
        .clientCredentialsGrant(config, { audience: 'serviceb' })
        .catch((e: unknown) => e)
      expect(err).toMatchObject({ status: 401 })
      const [refusal] = factory.refusals
      expect(refusal).toContain('"error":"invalid_client"')
      expect(refusal).toMatch(reason)
    })
  }
})

describe('token exchange with openid-client genericGrantRequest (RFC 8693)', () => {
  it("servicea exchanges a user's token for serviceb, then serviceb for servicec: act nests (§4.1)", async () => {
    const userToken = await loginUser(factory, 'servicea')
    const subject = claimsOf(userToken)
    const forB = await exchange('servicea', userToken, 'serviceb', { scope: 'app-view' })
    expect(forB).toMatchObject({
      token_type: 'bearer',
      issued_token_type: ACCESS_TOKEN_TYPE,
      expires_in: expect.any(Number),
    })
    expect(headerOf(forB.access_token)).toMatchObject({ typ: 'at+jwt' })
    const b = claimsOf(forB.access_token)
    expect(b).toMatchObject({
      iss: factory.userIssuer,
      sub: USER.name,
      aud: 'serviceb',
      client_id: 'servicea',
      scope: 'app-view',
      act: { sub: 'servicea' },
    })
    expect(b.exp as number).toBeLessThanOrEqual(subject.exp as number)
    const forC = await exchange('serviceb', forB.access_token, 'servicec')
    expect(claimsOf(forC.access_token)).toMatchObject({
      sub: USER.name,
      aud: 'servicec',
      client_id: 'serviceb',
      act: { sub: 'serviceb', act: { sub: 'servicea' } },
    })
  })

  it('attack: servicea asks for servicec directly, skipping serviceb → invalid_target (the exchange policy)', async () => {
    const userToken = await loginUser(factory, 'servicea')
    const err = await exchange('servicea', userToken, 'servicec').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(client.ResponseBodyError)
    expect(err).toMatchObject({ status: 400, error: 'invalid_target' })
  })
})

describe('introspection and revocation with openid-client (RFC 7662, RFC 7009)', () => {
  it('a fresh token is active for its audience; revoked by its client, it is inactive and /verify refuses it', async () => {
    const a = await secretClient(factory, 'servicea')
    const b = await secretClient(factory, 'serviceb')
    const { access_token: token } = await client.clientCredentialsGrant(a, { audience: 'serviceb' })
    const claims = claimsOf(token)
    const active = await client.tokenIntrospection(b, token)
    expect(active).toMatchObject({
      active: true,
      iss: factory.serviceIssuer,
      sub: 'servicea',
      client_id: 'servicea',
      aud: 'serviceb',
      jti: claims.jti,
      exp: claims.exp,
      iat: claims.iat,
      token_type: 'Bearer',
    })
    // RFC 7662 §4: a client that is neither the token's audience nor its client learns nothing.
    const other = await client.tokenIntrospection(await secretClient(factory, 'servicec'), token)
    expect(other).toEqual({ active: false })
    const hinted = await client.tokenIntrospection(b, token, { token_type_hint: 'access_token' })
    expect(hinted).toMatchObject({ active: true, jti: claims.jti })
    // RFC 7009 §2.1: a client may revoke only tokens issued to it.
    const servicec = await secretClient(factory, 'servicec')
    const refused = await client.tokenRevocation(servicec, token).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(client.ResponseBodyError)
    expect(refused).toMatchObject({ status: 400, error: 'unauthorized_client' })
    expect(await client.tokenIntrospection(b, token)).toMatchObject({ active: true })

    await client.tokenRevocation(a, token)
    const revoked = await client.tokenIntrospection(b, token)
    expect(revoked).toEqual({ active: false })
    const verdict = await verifyAtFactory(factory, 'servicea', token, 'serviceb')
    expect(verdict.status).toBe(403)
    expect(verdict.body).toMatchObject({ valid: false, error: { code: 'ERR_TOKEN_REVOKED' } })
    // RFC 7009 §2.2: revoking it again, or a token that is no token, is still 200.
    await client.tokenRevocation(a, token)
    await client.tokenRevocation(a, 'not-a-token')
  })

  it("a revoked user token: inactive, and no longer a token exchange's subject (invalid_grant)", async () => {
    const userToken = await loginUser(factory, 'servicea')
    const a = await secretClient(factory, 'servicea', factory.userIssuer)
    expect(await client.tokenIntrospection(a, userToken)).toMatchObject({ active: true })
    await client.tokenRevocation(a, userToken)
    expect(await client.tokenIntrospection(a, userToken)).toEqual({ active: false })
    const err = await exchange('servicea', userToken, 'serviceb').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(client.ResponseBodyError)
    expect(err).toMatchObject({ status: 400, error: 'invalid_grant' })
    // A verifier with the JWKS alone cannot see a revocation: the token stays good there until
    // its exp. That is what short lifetimes are for.
    expect(await validate(factory.userIssuer, userToken, 'servicea')).toMatchObject({
      sub: USER.name,
    })
  })

  it('private_key_jwt at /introspect and /revoke too: the key client sees and revokes its own token', async () => {
    const config = await discover(
      factory,
      factory.serviceIssuer,
      factory.keyClient.name,
      client.PrivateKeyJwt(factory.keyClient.key),
    )
    const { access_token: token } = await client.clientCredentialsGrant(config, {
      audience: 'serviceb',
    })
    expect(await client.tokenIntrospection(config, token)).toMatchObject({
      active: true,
      sub: factory.keyClient.name,
    })
    await client.tokenRevocation(config, token)
    expect(await client.tokenIntrospection(config, token)).toEqual({ active: false })
  })

  it('an exchanged user token introspects with its act chain at its audience', async () => {
    const forB = await exchange('servicea', await loginUser(factory, 'servicea'), 'serviceb')
    const b = await secretClient(factory, 'serviceb', factory.userIssuer)
    expect(await client.tokenIntrospection(b, forB.access_token)).toMatchObject({
      active: true,
      iss: factory.userIssuer,
      sub: USER.name,
      aud: 'serviceb',
      client_id: 'servicea',
      act: { sub: 'servicea' },
    })
  })
})

describe("oauth4webapi's validateJwtAccessToken (RFC 9068 §4) with the discovered metadata", () => {
  it("accepts a user token from /login, with every claim of RFC 9068 §2.2; client_id is the login's", async () => {
    const claims = await validate(
      factory.userIssuer,
      await loginUser(factory, 'servicea'),
      'servicea',
    )
    expect(claims).toMatchObject({
      iss: factory.userIssuer,
      sub: USER.name,
      aud: 'servicea',
      client_id: 'jwt-factory-login',
      jti: expect.any(String),
      auth_time: expect.any(Number),
    })
  })

  it('accepts an exchanged token, act and all', async () => {
    const forB = await exchange('servicea', await loginUser(factory, 'servicea'), 'serviceb')
    const claims = await validate(factory.userIssuer, forB.access_token, 'serviceb')
    expect(claims).toMatchObject({
      sub: USER.name,
      client_id: 'servicea',
      act: { sub: 'servicea' },
    })
  })

  it('attack: a service token presented as a user token → refused for its typ (JWT, not at+jwt)', async () => {
    const { access_token: service } = await client.clientCredentialsGrant(
      await secretClient(factory, 'servicea'),
      { audience: 'serviceb' },
    )
    for (const issuer of [factory.userIssuer, factory.serviceIssuer]) {
      await expect(validate(issuer, service, 'serviceb')).rejects.toMatchObject({
        code: oauth.INVALID_RESPONSE,
        message: 'unexpected JWT "typ" header parameter value',
      })
    }
  })

  it("attack: a user token against the service issuer's metadata → refused for its iss", async () => {
    const user = await loginUser(factory, 'servicea')
    await expect(validate(factory.serviceIssuer, user, 'servicea')).rejects.toMatchObject({
      code: oauth.JWT_CLAIM_COMPARISON,
      message: 'unexpected JWT "iss" (issuer) claim value',
    })
  })
})
