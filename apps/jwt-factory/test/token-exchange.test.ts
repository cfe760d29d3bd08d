import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeTokenParts, type SigningKey } from '@jwt-factory/jwt'
import {
  attackCatalogue,
  attackTestName,
  generateAttackerKeys,
  validToken,
  type Attack,
  type AttackContext,
} from '@jwt-factory/jwt/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureDemoClients } from '../src/clients/demo-clients.ts'
import { basic, claimsOf, createLoginFactory, TEST_USERS } from '../src/login/login-test-support.ts'
import { ACCESS_TOKEN_TYPE, JWT_TOKEN_TYPE, TOKEN_EXCHANGE } from '../src/oauth/grant.ts'
import { updateUsersFile } from '../src/users/users-file.ts'

/**
 * Token exchange (RFC 8693) at POST /token through app.request(): the demo clients servicea,
 * serviceb and servicec with their real secrets, the committed exchange policy (servicea →
 * serviceb, serviceb → servicec), users logged in at /login, a clock the tests move.
 */
type Factory = Awaited<ReturnType<typeof createLoginFactory>>
let f: Factory
let dir: string
let clientsDir: string
const secrets = new Map<string, string>()
const { alice, victor } = TEST_USERS

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwt-factory-exchange-'))
  clientsDir = join(dir, 'clients')
  const clientsFile = join(clientsDir, 'clients.json')
  await ensureDemoClients(clientsFile, join(clientsDir, 'secrets'))
  for (const name of ['servicea', 'serviceb', 'servicec'])
    secrets.set(name, (await readFile(join(clientsDir, 'secrets', name), 'utf8')).trim())
  f = await createLoginFactory({ CLIENTS_FILE: clientsFile })
  for (const keyId of ['servicea', 'serviceb', 'servicec'])
    expect((await f.app.request(`/keys/${keyId}`)).status).toBe(201)
})
afterAll(async () => {
  await f?.cleanup()
  await rm(dir, { recursive: true, force: true })
})

type Answer = { status: number; body: Record<string, any> }

/** POST /token as `client` (client_secret_basic) with the token exchange grant. */
async function exchange(client: string, params: Record<string, string>): Promise<Answer> {
  const res = await f.app.request('/token', {
    method: 'POST',
    headers: {
      authorization: basic(client, secrets.get(client)!),
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ grant_type: TOKEN_EXCHANGE, ...params }),
  })
  return { status: res.status, body: (await res.json()) as Record<string, any> }
}

/** The usual request: this subject token, as an access token, for `audience`. */
const exchangeFor = (client: string, subject: string, audience: string, extra = {}) =>
  exchange(client, {
    subject_token: subject,
    subject_token_type: ACCESS_TOKEN_TYPE,
    audience,
    ...extra,
  })

async function userToken(user: { name: string; password: string }, audience = 'servicea') {
  const res = await f.login(user.name, user.password, { 'x-audience': audience })
  expect(res.status).toBe(200)
  return ((await res.json()) as { access_token: string }).access_token
}

function expectRefused(answer: Answer, error: string, description?: RegExp) {
  expect(answer.status).toBe(400)
  expect(answer.body).toEqual({ error, error_description: expect.any(String) })
  if (description) expect(answer.body.error_description).toMatch(description)
}

const seconds = () => Math.floor(f.clock.time.getTime() / 1000)

describe('POST /token, token exchange (RFC 8693)', () => {
  it("servicea exchanges a user's token for serviceb: the user issuer's at+jwt for the user, act naming servicea", async () => {
    const subject = await userToken(victor)
    const answer = await exchangeFor('servicea', subject, 'serviceb')
    expect(answer.status).toBe(200)
    expect(answer.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      scope: 'app-view',
      issued_token_type: ACCESS_TOKEN_TYPE,
    })
    const token = answer.body.access_token as string
    const userKey = await f.userKeys.signingKey()
    expect(decodeTokenParts(token)?.header).toEqual({
      alg: 'ES256',
      kid: userKey.kid,
      typ: 'at+jwt',
    })
    const held = claimsOf(subject)
    expect(claimsOf(token)).toEqual({
      iss: f.config.userIssuer,
      sub: 'victor',
      aud: 'serviceb',
      client_id: 'servicea',
      act: { sub: 'servicea' },
      scope: 'app-view',
      auth_time: held.auth_time,
      amr: ['pwd'],
      level: 2,
      iat: seconds(),
      exp: held.exp,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
    })
    expect(claimsOf(token).jti).not.toBe(held.jti)
  })

  it('serviceb exchanges that token for servicec: the chain nests, the most recent actor outermost', async () => {
    const forB = (await exchangeFor('servicea', await userToken(victor), 'serviceb')).body
    const answer = await exchangeFor('serviceb', forB.access_token, 'servicec')
    expect(answer.status).toBe(200)
    expect(claimsOf(answer.body.access_token)).toMatchObject({
      iss: f.config.userIssuer,
      sub: 'victor',
      aud: 'servicec',
      client_id: 'serviceb',
      act: { sub: 'serviceb', act: { sub: 'servicea' } },
    })
  })

  it("a service's own token is exchanged under the service issuer, signed by its own ring (typ JWT)", async () => {
    const issued = await f.app.request('/issueToken/servicea', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ aud: 'serviceb' }),
    })
    const subject = ((await issued.json()) as { access_token: string }).access_token
    const answer = await exchangeFor('serviceb', subject, 'servicec')
    expect(answer.status).toBe(200)
    const token = answer.body.access_token as string
    expect(decodeTokenParts(token)?.header).toMatchObject({
      kid: f.keyStore.get('servicea')!.active.kid,
      typ: 'JWT',
    })
    expect(claimsOf(token)).toMatchObject({
      iss: f.config.serviceIssuer,
      sub: 'servicea',
      aud: 'servicec',
      client_id: 'serviceb',
      act: { sub: 'serviceb' },
    })
    expect(claimsOf(token).amr).toBeUndefined()
  })

  it('never outlives the subject token: 100 s left in it, 100 s in the new one; the JWT token type is read alike', async () => {
    const subject = await userToken(victor)
    const exp = claimsOf(subject).exp as number
    f.clock.time = new Date((exp - 100) * 1000)
    const answer = await exchangeFor('servicea', subject, 'serviceb', {
      subject_token_type: JWT_TOKEN_TYPE,
    })
    expect(answer.status).toBe(200)
    expect(answer.body.expires_in).toBe(100)
    expect(claimsOf(answer.body.access_token).exp).toBe(exp)
  })

  it('narrows the scope when asked: an admin token for app-view only', async () => {
    const answer = await exchangeFor('servicea', await userToken(alice), 'serviceb', {
      scope: 'app-view',
    })
    expect(answer.status).toBe(200)
    expect(answer.body.scope).toBe('app-view')
    expect(claimsOf(answer.body.access_token).scope).toBe('app-view')
  })

  it('the token it issued verifies where the user key is trusted: the next exchange inspects it', async () => {
    // The chain test proves it for serviceb; here the result of a narrowed exchange, once more.
    const narrowed = await exchangeFor('servicea', await userToken(alice), 'serviceb', {
      scope: 'app-view',
    })
    const again = await exchangeFor('serviceb', narrowed.body.access_token, 'servicec')
    expect(again.status).toBe(200)
    expect(claimsOf(again.body.access_token).scope).toBe('app-view')
  })
})

describe('POST /token, token exchange refusals: the RFC error, nothing written', () => {
  let subject: string
  let revoked: string
  let before: string
  beforeAll(async () => {
    subject = await userToken(victor)
    revoked = await userToken(victor)
    const { jti, exp } = claimsOf(revoked) as { jti: string; exp: number }
    await f.revocations.revoke(jti, exp)
    before = await snapshot()
  })

  /** Every file of the factory's folder and of the clients folder, with its size and mtime. */
  async function snapshot(): Promise<string> {
    const lines: string[] = []
    for (const root of [join(f.keysDir, '..'), clientsDir]) {
      for (const name of await readdir(root, { recursive: true })) {
        const s = await stat(join(root, name))
        lines.push(`${root}/${name} ${s.size} ${s.mtimeMs}`)
      }
    }
    return lines.sort().join('\n')
  }

  it('an audience the policy does not allow this client: servicea straight to servicec → invalid_target', async () => {
    expectRefused(
      await exchangeFor('servicea', subject, 'servicec'),
      'invalid_target',
      /client servicea may not exchange a token for audience servicec \(the exchange policy allows serviceb\)/,
    )
  })

  it('a client the policy names nowhere may exchange for nothing → invalid_target', async () => {
    const forC = await userToken(victor, 'servicec')
    expectRefused(await exchangeFor('servicec', forC, 'servicea'), 'invalid_target', /allows none/)
  })

  it('a subject token issued to another client: serviceb presents the user token for servicea → invalid_grant', async () => {
    expectRefused(
      await exchangeFor('serviceb', subject, 'servicec'),
      'invalid_grant',
      /not issued to serviceb \(its aud is servicea\)/,
    )
  })

  it('an expired subject token → invalid_grant naming why', async () => {
    const expiring = await userToken(victor)
    const saved = f.clock.time
    f.clock.time = new Date(((claimsOf(expiring).exp as number) + 31) * 1000)
    try {
      expectRefused(
        await exchangeFor('servicea', expiring, 'serviceb'),
        'invalid_grant',
        /jwt expired/,
      )
    } finally {
      f.clock.time = saved
    }
  })

  it('a subject token within the clock tolerance but already past its exp: nothing left to give → invalid_grant', async () => {
    const expiring = await userToken(victor)
    const saved = f.clock.time
    f.clock.time = new Date(((claimsOf(expiring).exp as number) + 5) * 1000)
    try {
      expectRefused(
        await exchangeFor('servicea', expiring, 'serviceb'),
        'invalid_grant',
        /jwt expired/,
      )
    } finally {
      f.clock.time = saved
    }
  })

  it('a revoked subject token → invalid_grant naming why', async () => {
    expectRefused(await exchangeFor('servicea', revoked, 'serviceb'), 'invalid_grant', /revoked/)
  })

  it('a scope wider than the subject token holds → invalid_scope', async () => {
    expectRefused(
      await exchangeFor('servicea', subject, 'serviceb', { scope: 'app-view app-manage' }),
      'invalid_scope',
      /"app-manage" is not in the subject token's scope/,
    )
  })

  it('missing or unknown parameters → invalid_request or invalid_target, each named', async () => {
    const base = { subject_token: subject, subject_token_type: ACCESS_TOKEN_TYPE }
    const cases: [Record<string, string>, string, RegExp][] = [
      [
        { subject_token_type: ACCESS_TOKEN_TYPE, audience: 'serviceb' },
        'invalid_request',
        /"subject_token" is missing/,
      ],
      [
        { subject_token: subject, audience: 'serviceb' },
        'invalid_request',
        /"subject_token_type" is missing/,
      ],
      [
        {
          ...base,
          subject_token_type: 'urn:ietf:params:oauth:token-type:id_token',
          audience: 'serviceb',
        },
        'invalid_request',
        /subject_token_type must be/,
      ],
      [
        {
          ...base,
          audience: 'serviceb',
          requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
        },
        'invalid_request',
        /requested_token_type may only be/,
      ],
      [
        {
          ...base,
          audience: 'serviceb',
          actor_token: subject,
          actor_token_type: ACCESS_TOKEN_TYPE,
        },
        'invalid_request',
        /actor_token is not accepted/,
      ],
      [base, 'invalid_target', /say who the token is for/],
    ]
    for (const [params, error, description] of cases)
      expectRefused(await exchange('servicea', params), error, description)
  })

  it('a wrong client secret → 401 invalid_client before the subject token is looked at', async () => {
    const res = await f.app.request('/token', {
      method: 'POST',
      headers: {
        authorization: basic('servicea', 'not-the-secret-of-servicea'),
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({
        grant_type: TOKEN_EXCHANGE,
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN_TYPE,
        audience: 'serviceb',
      }),
    })
    expect(res.status).toBe(401)
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client')
  })

  it('wrote nothing on any of these refusals', async () => {
    expect(await snapshot()).toBe(before)
  })
})

describe('POST /token, token exchange: what the factory knows beyond the token', () => {
  it('a subject token of a user locked since it was issued → invalid_grant; unlocked, it exchanges again', async () => {
    const token = await userToken(victor)
    const lock = (locked: boolean) =>
      updateUsersFile(f.usersFile, (users) =>
        users.map((u) => (u.name === victor.name ? { ...u, locked } : u)),
      )
    await lock(true)
    await f.userStore.refresh()
    try {
      expectRefused(
        await exchangeFor('servicea', token, 'serviceb'),
        'invalid_grant',
        /locked or no longer exists/,
      )
    } finally {
      await lock(false)
      await f.userStore.refresh()
    }
    expect((await exchangeFor('servicea', token, 'serviceb')).status).toBe(200)
  })

  it("attack: a service token with an act chain or client_id of the caller's choosing (POST /issueToken) → 400, never exchanged as a delegation", async () => {
    for (const claim of ['act', 'may_act', 'client_id']) {
      const value = claim === 'client_id' ? 'serviceb' : { sub: 'servicea' }
      const issued = await f.app.request('/issueToken/servicea', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ aud: 'serviceb', [claim]: value }),
      })
      expect(issued.status, claim).toBe(400)
      expect(await issued.json()).toMatchObject({
        error: { code: 'ERR_INVALID_CLAIMS', message: expect.stringContaining(`"${claim}"`) },
      })
    }
  })
})

/** The catalogue's titles, known before the factory exists, for the test names. */
const sample = await attackContextFor(
  (await generateAttackerKeys()).ec,
  { iss: 'i', sub: 'victor', aud: 'servicea' },
  new Date(),
)

async function attackContextFor(
  key: SigningKey,
  claims: AttackContext['claims'],
  now: Date,
  otherServiceKey?: SigningKey,
): Promise<AttackContext> {
  return {
    key,
    claims,
    typ: 'at+jwt',
    // The exchange pins no subject: any user of the user issuer may be the subject.
    checksSubject: false,
    attacker: await generateAttackerKeys(),
    ...(otherServiceKey ? { otherServiceKey } : {}),
    otherAudience: 'servicec',
    now,
    clockToleranceSeconds: 30,
  }
}

/**
 * The attack catalogue at the subject_token: servicea exchanging a "user token for servicea"
 * for serviceb. A forged, re-signed or mislabelled token is invalid_grant, never a token.
 */
describe('POST /token token exchange: subject_token under attack', () => {
  let attacks: Map<string, Attack>
  let context: AttackContext
  beforeAll(async () => {
    context = await attackContextFor(
      await f.userKeys.signingKey(),
      { iss: f.config.userIssuer, sub: 'victor', aud: 'servicea' },
      f.clock.time,
      f.keyStore.get('servicea')!.active,
    )
    attacks = new Map(attackCatalogue(context).map((a) => [a.id, a]))
  })

  it('control: a well-formed token of the catalogue is exchanged (200)', async () => {
    const answer = await exchangeFor('servicea', validToken(context), 'serviceb')
    expect(answer.status).toBe(200)
  })

  for (const { id, ...named } of attackCatalogue(sample)) {
    const [status, error] = named.oversized ? [413, 'invalid_request'] : [400, 'invalid_grant']
    it(attackTestName(named, status, error), async () => {
      const answer = await exchangeFor('servicea', attacks.get(id)!.token, 'serviceb')
      expect(answer.status).toBe(status)
      expect(answer.body.error).toBe(error)
      expect(answer.body.access_token).toBeUndefined()
    })
  }
})
