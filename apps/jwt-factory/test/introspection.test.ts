import { decodeTokenParts, generateSigningKey, type SigningKey } from '@jwt-factory/jwt'
import {
  acceptedTwins,
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  validToken,
  type AttackContext,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLoginFactory, TEST_USERS } from '../src/login/login-test-support.ts'
import { jsonPost } from '../src/test-support.ts'
import { addKeyClients, clientPost, formPost, type TestClient } from './oauth-requests.ts'

/**
 * POST /introspect (RFC 7662) through app.request(), on a factory with its own keys, users,
 * clients and revocations files: what an active token's answer holds, for a service token and a
 * user token; that every token the factory does not stand behind for this caller (expired,
 * revoked, of another issuer, forged, not the caller's) is `{ active: false }` and nothing else;
 * and the attack catalogue, every attack answered exactly `{ active: false }`.
 */
type Factory = Awaited<ReturnType<typeof createLoginFactory>>

type Client = 'servicea' | 'serviceb' | 'servicec' | 'alice'
/** servicec authenticates with a secret (client_secret_basic), the others sign assertions. */
const SERVICEC_SECRET = 'servicec-secret-0123456789'
const alice = TEST_USERS.alice

let f: Factory
let clients: Record<Client, TestClient>

beforeAll(async () => {
  f = await createLoginFactory()
  const signers = await addKeyClients(f, ['servicea', 'serviceb', 'alice'])
  await f.addClient('servicec', { secret: SERVICEC_SECRET })
  clients = { ...signers, servicec: { id: 'servicec', secret: SERVICEC_SECRET } }
  for (const keyId of ['servicea', 'serviceb', 'servicec'])
    expect((await f.app.request(`/keys/${keyId}`)).status).toBe(201)
})

afterAll(() => f?.cleanup())

async function introspect(token: string, caller: Client = 'serviceb') {
  const params = { token, token_type_hint: 'access_token' }
  const res = await f.app.request('/introspect', await post(caller, '/introspect', params))
  return { res, status: res.status, body: (await res.json()) as Record<string, unknown> }
}

const post = (caller: Client, path: string, params: Record<string, string>) =>
  clientPost(clients[caller], `${f.config.publicUrl}${path}`, params, f.clock.time)

async function expectInactive(token: string, caller: Client = 'serviceb') {
  const { status, body, res } = await introspect(token, caller)
  expect({ status, body }).toEqual({ status: 200, body: { active: false } })
  expect(res.headers.get('cache-control')).toBe('no-store')
}

/** A service token from POST /issueToken, as any caller on this machine can ask for one. */
async function issue(keyId: string, claims: Record<string, unknown>, query = '') {
  const res = await f.app.request(`/issueToken/${keyId}${query}`, jsonPost(claims))
  expect(res.status).toBe(200)
  return res.text()
}

async function userToken(audience = 'servicea') {
  const res = await f.login(alice.name, alice.password, { 'x-audience': audience })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

const claimsOf = (token: string) => decodeTokenParts(token)!.claims

describe('POST /introspect', () => {
  it('a service token, asked by its audience: active, with RFC 7662 §2.2 members, never cached', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const { status, body, res } = await introspect(token)
    const claims = claimsOf(token)
    expect(status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    expect(body).toEqual({
      active: true,
      iss: f.config.serviceIssuer,
      sub: 'servicea',
      aud: 'serviceb',
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      token_type: 'Bearer',
    })
  })

  it('a client_credentials token: its client_id and scope, seen by the client and the audience', async () => {
    const params = { grant_type: 'client_credentials', audience: 'serviceb' }
    const res = await f.app.request('/token', await post('servicea', '/token', params))
    expect(res.status).toBe(200)
    const token = ((await res.json()) as { access_token: string }).access_token
    for (const caller of ['servicea', 'serviceb'] as const) {
      expect((await introspect(token, caller)).body).toMatchObject({
        active: true,
        sub: 'servicea',
        client_id: 'servicea',
        aud: 'serviceb',
      })
    }
    await expectInactive(token, 'servicec')
  })

  it('a user token, asked by its audience: the user issuer, the user, the login client, the scope', async () => {
    const token = await userToken('servicea')
    const claims = claimsOf(token)
    expect((await introspect(token, 'servicea')).body).toEqual({
      active: true,
      iss: f.config.userIssuer,
      sub: 'alice',
      aud: 'servicea',
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
      scope: claims.scope,
      client_id: claims.client_id,
      token_type: 'Bearer',
    })
    expect(claims).toMatchObject({ client_id: expect.any(String), scope: expect.any(String) })
  })

  it('a caller authenticated with client_secret_basic: active for a token for it', async () => {
    const token = await issue('servicea', { aud: 'servicec' })
    expect((await introspect(token, 'servicec')).body).toMatchObject({
      active: true,
      aud: 'servicec',
    })
  })

  it('a token the caller is not the audience, client or subject of: { active: false }', async () => {
    await expectInactive(await issue('servicea', { aud: 'serviceb' }), 'servicec')
    await expectInactive(await userToken('servicea'), 'serviceb')
    // A client named like the user: a user token's sub is a user, not a client.
    await expectInactive(await userToken('servicea'), 'alice')
    // The service token's own subject may ask about it.
    const own = await issue('servicea', { aud: 'serviceb' })
    expect((await introspect(own, 'servicea')).body.active).toBe(true)
  })

  it('an expired token (?expired=1): { active: false }', async () => {
    await expectInactive(await issue('servicea', { aud: 'serviceb' }, '?expired=1'))
  })

  it('a token signed by the factory with another issuer: { active: false }', async () => {
    for (const iss of ['https://jwt-factory/', 'https://evil.example/', `${f.config.userIssuer}x`])
      await expectInactive(await issue('servicea', { aud: 'serviceb', iss }))
  })

  it('a revoked token: { active: false }; a token issued beside it stays active', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const other = await issue('servicea', { aud: 'serviceb' })
    const revoke = await f.app.request('/revoke', await post('servicea', '/revoke', { token }))
    expect(revoke.status).toBe(200)
    await expectInactive(token)
    expect((await introspect(other)).body.active).toBe(true)
  })

  it('garbage and an empty-looking token: { active: false }, never an error', async () => {
    for (const token of ['garbage', 'a.b.c', 'eyJ.eyJ.x', '...']) await expectInactive(token)
  })

  it('without client authentication: 401 invalid_client with a Basic challenge; nothing is said of the token', async () => {
    const token = await issue('servicea', { aud: 'serviceb' })
    const impostor = { id: 'serviceb', key: await generateSigningKey('ES256') }
    for (const init of [
      formPost({ token }),
      formPost({ token }, { id: 'servicec', secret: 'wrong-secret-0123456789' }),
      formPost({ token }, { id: 'nobody', secret: SERVICEC_SECRET }),
      await clientPost(impostor, f.config.endpoints.introspection, { token }, f.clock.time),
    ]) {
      const res = await f.app.request('/introspect', init)
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toMatch(/^Basic /)
      expect(await res.json()).toEqual({
        error: 'invalid_client',
        error_description: expect.any(String),
      })
    }
  })

  it('without a token: 400 invalid_request naming it', async () => {
    const params = { token_type_hint: 'access_token' }
    const res = await f.app.request('/introspect', await post('serviceb', '/introspect', params))
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual({
      error: 'invalid_request',
      error_description: 'parameter "token" is missing',
    })
  })
})

/** The catalogue's titles, known before the factory exists, for the test names. */
const sampleKeys = await Promise.all([generateSigningKey('ES256'), generateSigningKey('ES256')])
const sampleAttacker = await generateAttackerKeys()

/**
 * The catalogue at /introspect for one kind of token: `kind` says what the verifier expects
 * (typ, whether it pins the subject), `context()` builds it from the factory's own keys.
 */
function attacksAtIntrospect(
  caller: Client,
  kind: Pick<AttackContext, 'typ' | 'checksSubject'>,
  context: () => Promise<AttackContext>,
) {
  const sample: AttackContext = {
    key: sampleKeys[0],
    otherServiceKey: sampleKeys[1],
    claims: { iss: 'i', sub: 'servicea', aud: 'serviceb' },
    attacker: sampleAttacker,
    ...kind,
  }
  const titles = attackCatalogue(sample)
  const twinTitles = acceptedTwins(sample)
  let ctx: AttackContext
  beforeAll(async () => {
    ctx = { ...(await context()), ...kind }
  })

  it('control: the catalogue’s well-formed token is active', async () => {
    expect((await introspect(validToken(ctx), caller)).body).toMatchObject({ active: true })
  })

  for (const { id, title } of twinTitles) {
    it(`attack: ${title} → 200 active`, async () => {
      const twin = acceptedTwins(ctx).find((t) => t.id === id)!
      expect((await introspect(twin.token, caller)).body.active).toBe(true)
    })
  }

  for (const { id, ...named } of titles.filter((a) => !a.oversized)) {
    it(attackTestName(named, 200, 'active false'), async () => {
      const attack = attackCatalogue(ctx).find((a) => a.id === id)!
      await expectInactive(attack.token, caller)
    })
  }

  it('attack: a 1 MB token → 413 invalid_request', async () => {
    const attack = attackCatalogue(ctx).find((a) => a.oversized)!
    const res = await f.app.request(
      '/introspect',
      await post(caller, '/introspect', { token: attack.token }),
    )
    expect(res.status).toBe(413)
    expect(await res.json()).toMatchObject({ error: 'invalid_request' })
  })
}

describe('POST /introspect under attack: service tokens', () => {
  attacksAtIntrospect('serviceb', {}, async () => ({
    key: f.keyStore.get('servicea')!.active as SigningKey,
    otherServiceKey: f.keyStore.get('serviceb')!.active,
    claims: { iss: f.config.serviceIssuer, sub: 'servicea', aud: 'serviceb' },
    attacker: await generateAttackerKeys(),
    now: f.clock.time,
    clockToleranceSeconds: f.config.clockToleranceSeconds,
  }))
})

describe('POST /introspect under attack: user tokens (at+jwt)', () => {
  attacksAtIntrospect('servicea', { typ: 'at+jwt', checksSubject: false }, async () => ({
    key: await f.userKeys.signingKey(),
    // A service's own key signing a user's token: the user issuer's keys are the user key alone.
    otherServiceKey: f.keyStore.get('servicea')!.active,
    claims: { iss: f.config.userIssuer, sub: 'alice', aud: 'servicea' },
    attacker: await generateAttackerKeys(),
    now: f.clock.time,
    clockToleranceSeconds: f.config.clockToleranceSeconds,
  }))
})
