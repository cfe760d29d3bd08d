import crypto, { type ScryptOptions } from 'node:crypto'
import { syncBuiltinESMExports } from 'node:module'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { parsePolicy } from '../policy/policy-file.ts'
import { claimsOf, createLoginFactory, headerOf, TEST_USERS } from '../login/login-test-support.ts'

type LoginFactory = Awaited<ReturnType<typeof createLoginFactory>>
let f: LoginFactory
afterEach(() => f?.cleanup())

const { alice, victor, lou } = TEST_USERS
const json = async (res: Response) => (await res.json()) as Record<string, any>
const post = (headers: Record<string, string>) =>
  f.app.request('/login', { method: 'POST', headers })

describe('POST /login', () => {
  it("answers AppMesh's token response: an at+jwt user token with scope, amr, level and auth_time", async () => {
    f = await createLoginFactory()
    const res = await f.login(alice.name, alice.password)
    expect(res.status).toBe(200)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    const t = Math.floor(f.clock.time.getTime() / 1000)
    expect(body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expire_seconds: 3600,
      expire_time: t + 3600,
      profile: { name: 'alice', auth_time: t },
    })
    const userKey = await f.userKeys.signingKey()
    expect(headerOf(body.access_token)).toEqual({ alg: 'ES256', kid: userKey.kid, typ: 'at+jwt' })
    expect(claimsOf(body.access_token)).toEqual({
      iss: 'https://localhost:5443/users',
      client_id: 'jwt-factory-login',
      sub: 'alice',
      aud: 'jwt-factory',
      iat: t,
      exp: t + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      scope: 'app-manage app-view token-issue',
      amr: ['pwd'],
      level: 2,
      auth_time: t,
    })
  })

  it("signs with the user key: published at /jwks/users alone, not in the service issuer's JWKS, no keyId of /keys, /utils/keys or /verify", async () => {
    f = await createLoginFactory()
    await f.app.request('/keys/servicea')
    expect((await f.login(alice.name, alice.password)).status).toBe(200)
    const userKid = (await f.userKeys.signingKey()).kid
    const kids = async (path: string) =>
      (await json(await f.app.request(path))).keys.map((k: { kid: string }) => k.kid)
    expect(await kids('/jwks/users')).toEqual([userKid])
    expect(await kids('/.well-known/jwks.json')).toEqual([f.keyStore.get('servicea')!.active.kid])
    expect(await json(await f.app.request('/utils/keys'))).toEqual(['servicea'])
    expect((await f.app.request('/utils/publicKey/users')).status).toBe(400) // reserved for the user key
  })

  it("accepts the bare base64 value AppMesh's curl sends", async () => {
    f = await createLoginFactory()
    const res = await post({
      authorization: Buffer.from(`${victor.name}:${victor.password}`).toString('base64'),
    })
    expect(res.status).toBe(200)
    expect(claimsOf((await json(res)).access_token)).toMatchObject({
      sub: 'victor',
      scope: 'app-view',
    })
  })

  it('answers an unknown user, a wrong password and a locked user with the same 401', async () => {
    f = await createLoginFactory()
    const answers = [
      await f.login('nobody', 'whatever-1'),
      await f.login(alice.name, 'wrong-password'),
      await f.login(lou.name, lou.password),
    ]
    const bodies = await Promise.all(answers.map(json))
    for (const [i, res] of answers.entries()) {
      expect(res.status).toBe(401)
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="jwt-factory", charset="UTF-8"')
      expect(bodies[i]).toEqual({
        error: {
          name: 'UnauthorizedError',
          code: 'ERR_UNAUTHORIZED',
          message: 'wrong user name or password',
        },
      })
    }
  })

  it('costs an unknown user one scrypt run, as a wrong password does (a dummy hash is checked)', async () => {
    f = await createLoginFactory()
    await f.login('warm-up', 'x') // the dummy hash is made once, before the counted logins
    // node's own scrypt, wrapped to record each real call's cost parameters; the named import
    // password-hash.ts uses follows the wrapper once the built-in's ESM exports are synced.
    const scrypt = vi.spyOn(crypto, 'scrypt')
    syncBuiltinESMExports()
    try {
      const costOf = async (name: string) => {
        scrypt.mockClear()
        expect((await f.login(name, 'wrong-password')).status).toBe(401)
        return scrypt.mock.calls.map(([, , keyLength, options]) => {
          const { N, r, p } = options as ScryptOptions
          return { N, r, p, keyLength }
        })
      }
      const wrongPassword = await costOf(alice.name)
      expect(wrongPassword).toEqual([{ N: 2 ** 15, r: 8, p: 1, keyLength: 32 }])
      expect(await costOf('ghost')).toEqual(wrongPassword)
      expect(await costOf(lou.name)).toEqual(wrongPassword) // locked: checked all the same
    } finally {
      scrypt.mockRestore()
      syncBuiltinESMExports()
    }
  })

  it('asks for credentials without an Authorization header, and refuses malformed ones with 400', async () => {
    f = await createLoginFactory()
    const none = await post({})
    expect(none.status).toBe(401)
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic /)
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64')
    for (const header of [
      `Basic ${b64('alice')}`,
      `Basic ${b64(':x')}`,
      `Basic ${b64('alice:')}`,
      `Basic ${b64(Buffer.from([0xc3, 0x28, 0x3a, 0x61]))}`,
      'Bearer x.y.z',
    ]) {
      const res = await post({ authorization: header })
      expect(res.status).toBe(400)
      expect((await json(res)).error.code).toBe('ERR_BAD_REQUEST')
    }
  })

  it('issues for an audience of USER_AUDIENCES (X-Audience), refuses any other with 400', async () => {
    f = await createLoginFactory()
    const ok = await f.login(alice.name, alice.password, { 'x-audience': 'serviceb' })
    expect(claimsOf((await json(ok)).access_token).aud).toBe('serviceb')
    const bad = await f.login(alice.name, alice.password, { 'x-audience': 'evil' })
    expect(bad.status).toBe(400)
    expect((await json(bad)).error.message).toBe(
      'X-Audience must be one of jwt-factory, servicea, serviceb, servicec',
    )
  })

  it('honours X-Expire-Seconds up to MAX_TOKEN_TTL_SECONDS', async () => {
    f = await createLoginFactory({ MAX_TOKEN_TTL_SECONDS: '7200' })
    const short = await json(await f.login(alice.name, alice.password, { 'x-expire-seconds': '2' }))
    expect(short.expire_seconds).toBe(2)
    const capped = await json(
      await f.login(alice.name, alice.password, { 'x-expire-seconds': '999999' }),
    )
    expect(capped.expire_seconds).toBe(7200)
    const claims = claimsOf(capped.access_token) as { exp: number; iat: number }
    expect(claims.exp - claims.iat).toBe(7200)
    expect((await f.login(alice.name, alice.password, { 'x-expire-seconds': '-5' })).status).toBe(
      400,
    )
  })

  it("refuses, naming the claim, what the role's claim policy does not allow", async () => {
    const policy = parsePolicy(
      {
        roles: {
          admin: { permissions: ['app-view'], claims: { level: [3] } },
          viewer: { permissions: ['app-view'] },
        },
      },
      'test',
    )
    f = await createLoginFactory({}, { policy })
    const res = await f.login(alice.name, alice.password)
    expect(res.status).toBe(400)
    expect(await json(res)).toMatchObject({
      error: {
        code: 'ERR_INVALID_CLAIMS',
        message: expect.stringMatching(/^claim "level" may not be 2 for role admin/),
      },
    })
    expect((await f.login(victor.name, victor.password)).status).toBe(200)
  })
})

describe('login throttling', () => {
  it('answers 429 with Retry-After after 5 failures for one user, even with the right password; clears after the window', async () => {
    f = await createLoginFactory()
    for (let i = 0; i < 5; i++) expect((await f.login(alice.name, `wrong-${i}`)).status).toBe(401)
    f.advance(60)
    const limited = await f.login(alice.name, alice.password)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('240')
    expect((await json(limited)).error.code).toBe('ERR_TOO_MANY_REQUESTS')
    expect((await f.login(victor.name, victor.password)).status).toBe(200) // other users are not affected
    f.advance(240)
    expect((await f.login(alice.name, alice.password)).status).toBe(200)
  })

  it("forgets a user's failures when they log in", async () => {
    f = await createLoginFactory()
    for (let i = 0; i < 4; i++)
      expect((await f.login(alice.name, 'wrong-password')).status).toBe(401)
    expect((await f.login(alice.name, alice.password)).status).toBe(200)
    for (let i = 0; i < 4; i++)
      expect((await f.login(alice.name, 'wrong-password')).status).toBe(401)
    expect((await f.login(alice.name, alice.password)).status).toBe(200)
  })

  it('limits failures per client address across user names, whatever X-Forwarded-For says', async () => {
    f = await createLoginFactory({ LOGIN_MAX_FAILURES_PER_ADDRESS: '4' })
    for (let i = 0; i < 4; i++) {
      const res = await f.login(`guess${i}`, 'password-guess', { 'x-forwarded-for': `10.0.0.${i}` })
      expect(res.status).toBe(401)
    }
    const limited = await f.login(victor.name, victor.password, { 'x-forwarded-for': '192.0.2.77' })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBe(300)
  })

  it('counts checks still running: a parallel burst of guesses gets no more than the limit through', async () => {
    f = await createLoginFactory()
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, i) => f.login(alice.name, `parallel-guess-${i}`)),
    )
    const statuses = answers.map((r) => r.status)
    expect(statuses.filter((s) => s === 401)).toHaveLength(5)
    expect(statuses.filter((s) => s === 429)).toHaveLength(7)
  })

  it('does not count malformed credentials as attempts', async () => {
    f = await createLoginFactory()
    for (let i = 0; i < 8; i++)
      expect(
        (await post({ authorization: `Basic ${Buffer.from('alice').toString('base64')}` })).status,
      ).toBe(400)
    expect((await f.login(alice.name, alice.password)).status).toBe(200)
  })
})
