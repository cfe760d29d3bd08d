import { signToken, USER_TOKEN_TYPE } from '@jwt-factory/jwt'
import { afterEach, describe, expect, it } from 'vitest'
import { jsonPost } from '../test-support.ts'
import { createLoginFactory, TEST_USERS, writeTestUsers } from '../login/login-test-support.ts'

type LoginFactory = Awaited<ReturnType<typeof createLoginFactory>>
let f: LoginFactory
afterEach(() => f?.cleanup())

const { alice, victor } = TEST_USERS
const json = async (res: Response) => (await res.json()) as Record<string, any>

async function tokenOf(
  name: string,
  password: string,
  headers: Record<string, string> = {},
): Promise<string> {
  const res = await f.login(name, password, headers)
  expect(res.status).toBe(200)
  return (await json(res)).access_token as string
}

const auth = (headers: Record<string, string>) =>
  f.app.request('/auth', { method: 'POST', headers })

describe('POST /auth', () => {
  it("answers { permission, success, user } for a permission the token's scope holds", async () => {
    f = await createLoginFactory()
    const token = await tokenOf(alice.name, alice.password)
    const res = await auth({ authorization: `Bearer ${token}`, 'x-permission': 'app-manage' })
    expect(res.status).toBe(200)
    expect(await json(res)).toEqual({ permission: 'app-manage', success: true, user: 'alice' })
    expect(await json(await auth({ authorization: `Bearer ${token}` }))).toEqual({
      permission: null,
      success: true,
      user: 'alice',
    })
  })

  it('accepts a token for any audience of USER_AUDIENCES', async () => {
    f = await createLoginFactory()
    const token = await tokenOf(victor.name, victor.password, { 'x-audience': 'servicec' })
    expect(
      (await auth({ authorization: `Bearer ${token}`, 'x-permission': 'app-view' })).status,
    ).toBe(200)
  })

  it('answers 403 with insufficient_scope when the user lacks the permission', async () => {
    f = await createLoginFactory()
    const token = await tokenOf(victor.name, victor.password)
    const res = await auth({ authorization: `Bearer ${token}`, 'x-permission': 'app-manage' })
    expect(res.status).toBe(403)
    expect((await json(res)).error).toEqual({
      name: 'ForbiddenError',
      code: 'ERR_FORBIDDEN',
      message: 'user victor lacks permission app-manage',
    })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwt-factory", error="insufficient_scope", error_description="user victor lacks permission app-manage", scope="app-manage"',
    )
  })

  it('answers 401 without a token, with a bare challenge (RFC 6750 §3.1)', async () => {
    f = await createLoginFactory()
    const res = await auth({ 'x-permission': 'app-view' })
    expect(res.status).toBe(401)
    expect((await json(res)).error.name).toBe('UnauthorizedError')
    expect(res.headers.get('www-authenticate')).toBe('Bearer realm="jwt-factory"')
  })

  it('answers 401 TokenExpiredError once the token expired', async () => {
    f = await createLoginFactory()
    const token = await tokenOf(alice.name, alice.password, { 'x-expire-seconds': '60' })
    f.advance(60 + 31) // past exp and the 30 s clock tolerance
    const res = await auth({ authorization: `Bearer ${token}` })
    expect(res.status).toBe(401)
    // Defect 4: an expired token says when it expired, the verifier's clock and its leeway.
    const { exp } = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString())
    expect((await json(res)).error).toEqual({
      name: 'TokenExpiredError',
      code: 'ERR_JWT_EXPIRED',
      message: 'jwt expired',
      expiredAt: new Date(exp * 1000).toISOString(),
      now: new Date((exp + 31) * 1000).toISOString(),
      clockToleranceSeconds: 30,
    })
    expect(res.headers.get('www-authenticate')).toBe(
      'Bearer realm="jwt-factory", error="invalid_token", error_description="jwt expired"',
    )
  })

  it('refuses a service token, even one naming a user audience', async () => {
    f = await createLoginFactory()
    await f.app.request('/keys/servicea')
    const service = await (
      await f.app.request(
        '/issueToken/servicea',
        jsonPost({ aud: 'jwt-factory', scope: 'app-view' }),
      )
    ).text()
    const res = await auth({ authorization: `Bearer ${service}`, 'x-permission': 'app-view' })
    expect(res.status).toBe(401)
    expect((await json(res)).error.name).toBe('JsonWebTokenError')
  })

  it('refuses an at+jwt token signed by anything but the user key, and a tampered one', async () => {
    f = await createLoginFactory()
    await f.app.request('/keys/servicea')
    const forged = await signToken(
      f.keyStore.get('servicea')!.active,
      { iss: f.config.userIssuer, sub: 'alice', aud: 'jwt-factory', scope: 'app-manage' },
      { ttlSeconds: 60, typ: USER_TOKEN_TYPE, now: f.now() },
    )
    expect((await auth({ authorization: `Bearer ${forged.token}` })).status).toBe(401)
    const token = await tokenOf(victor.name, victor.password)
    const [h, p, s] = token.split('.')
    const payload = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(p!, 'base64url').toString()),
        scope: 'app-manage',
      }),
    ).toString('base64url')
    const res = await auth({
      authorization: `Bearer ${h}.${payload}.${s}`,
      'x-permission': 'app-manage',
    })
    expect(res.status).toBe(401)
    expect((await json(res)).error.message).toBe('invalid signature')
  })

  it('refuses the token of a user locked since it was issued', async () => {
    f = await createLoginFactory()
    const token = await tokenOf(victor.name, victor.password)
    await writeTestUsers(f.usersFile, [{ ...victor, locked: true }])
    await f.userStore.refresh()
    const res = await auth({ authorization: `Bearer ${token}` })
    expect(res.status).toBe(401)
    expect((await json(res)).error.message).toBe('user victor is locked or no longer exists')
  })

  it('answers 400 to a malformed X-Permission', async () => {
    f = await createLoginFactory()
    const token = await tokenOf(alice.name, alice.password)
    expect(
      (await auth({ authorization: `Bearer ${token}`, 'x-permission': 'app view' })).status,
    ).toBe(400)
  })
})

describe('user tokens at /verify/:keyId', () => {
  it("are refused: their key is no keyId's, and typ at+jwt is refused even under a service key", async () => {
    f = await createLoginFactory()
    await f.app.request('/keys/servicea')
    const token = await tokenOf(alice.name, alice.password, { 'x-audience': 'serviceb' })
    const res = await f.app.request(
      '/verify/servicea',
      jsonPost({ token, aud: 'serviceb', sub: 'alice' }),
    )
    expect(res.status).toBe(403)
    expect(await json(res)).toMatchObject({ valid: false, error: { name: 'JsonWebTokenError' } })

    const typed = await signToken(
      f.keyStore.get('servicea')!.active,
      { iss: f.config.serviceIssuer, sub: 'servicea', aud: 'serviceb' },
      { ttlSeconds: 60, typ: USER_TOKEN_TYPE, now: f.now() },
    )
    const byType = await f.app.request(
      '/verify/servicea',
      jsonPost({ token: typed.token, aud: 'serviceb', sub: 'servicea' }),
    )
    expect(byType.status).toBe(403)
    expect(await json(byType)).toMatchObject({
      valid: false,
      error: { message: 'jwt type invalid. expected: JWT' },
    })
    expect(
      (await f.app.request('/verify/users', jsonPost({ token, aud: 'serviceb', sub: 'alice' })))
        .status,
    ).toBe(400) // reserved keyId
  })
})
