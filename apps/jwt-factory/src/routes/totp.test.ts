import { afterEach, describe, expect, it } from 'vitest'
import { jsonPost } from '../test-support.ts'
import { claimsOf, createLoginFactory, TEST_USERS } from '../login/login-test-support.ts'

type LoginFactory = Awaited<ReturnType<typeof createLoginFactory>>
let f: LoginFactory
afterEach(() => f?.cleanup())

const { tina, victor } = TEST_USERS
const json = async (res: Response) => (await res.json()) as Record<string, any>

async function challenge(headers: Record<string, string> = {}): Promise<string> {
  const res = await f.login(tina.name, tina.password, headers)
  expect(res.status).toBe(428)
  return (await json(res)).totp_challenge as string
}

const validate = (body: Record<string, unknown>) => f.app.request('/totp/validate', jsonPost(body))
const expectRefused = async (res: Response, message: string) => {
  expect(res.status).toBe(401)
  expect((await json(res)).error).toEqual({
    name: 'UnauthorizedError',
    code: 'ERR_UNAUTHORIZED',
    message,
  })
}

describe('login with TOTP', () => {
  it('answers 428 with a challenge, then POST /totp/validate answers the token (amr pwd+otp, level 3)', async () => {
    f = await createLoginFactory()
    const res = await f.login(tina.name, tina.password, {
      'x-audience': 'servicea',
      'x-expire-seconds': '600',
    })
    expect(res.status).toBe(428)
    expect(res.headers.get('cache-control')).toBe('no-store')
    const body = await json(res)
    const t = Math.floor(f.clock.time.getTime() / 1000)
    expect(body).toEqual({
      totp_challenge: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
      digits: 6,
      period: 30,
      expires: t + 120,
    })

    f.advance(20)
    const done = await validate({
      user_name: 'tina',
      totp_code: f.code(),
      totp_challenge: body.totp_challenge,
    })
    expect(done.status).toBe(200)
    const token = await json(done)
    expect(token).toMatchObject({
      token_type: 'Bearer',
      expire_seconds: 600,
      profile: { name: 'tina', auth_time: t + 20 },
    })
    expect(claimsOf(token.access_token)).toMatchObject({
      sub: 'tina',
      aud: 'servicea',
      amr: ['pwd', 'otp'],
      level: 3,
      scope: 'app-view',
    })
  })

  it('takes expire_seconds from the body (AppMesh sends a string), capped', async () => {
    f = await createLoginFactory({ MAX_TOKEN_TTL_SECONDS: '7200' })
    const a = await validate({
      user_name: 'tina',
      totp_code: f.code(),
      totp_challenge: await challenge(),
      expire_seconds: '360000',
    })
    expect((await json(a)).expire_seconds).toBe(7200)
    f.advance(30)
    const b = await validate({
      user_name: 'tina',
      totp_code: f.code(),
      totp_challenge: await challenge(),
      expire_seconds: 90,
    })
    expect((await json(b)).expire_seconds).toBe(90)
  })

  it('accepts the code in X-Totp-Code at /login directly', async () => {
    f = await createLoginFactory()
    const res = await f.login(tina.name, tina.password, { 'x-totp-code': f.code() })
    expect(res.status).toBe(200)
    expect(claimsOf((await json(res)).access_token)).toMatchObject({
      amr: ['pwd', 'otp'],
      level: 3,
    })
    await expectRefused(
      await f.login(tina.name, tina.password, {
        'x-totp-code': '000000' === f.code() ? '111111' : '000000',
      }),
      'wrong or already used TOTP code',
    )
  })

  it('accepts a code one step old or ahead, not two', async () => {
    f = await createLoginFactory()
    expect(
      (
        await validate({
          user_name: 'tina',
          totp_code: f.code(-30),
          totp_challenge: await challenge(),
        })
      ).status,
    ).toBe(200)
    f.advance(60) // a new step, so the replay guard is not what refuses
    expect(
      (
        await validate({
          user_name: 'tina',
          totp_code: f.code(30),
          totp_challenge: await challenge(),
        })
      ).status,
    ).toBe(200)
    f.advance(120)
    await expectRefused(
      await validate({
        user_name: 'tina',
        totp_code: f.code(-60),
        totp_challenge: await challenge(),
      }),
      'wrong or already used TOTP code',
    )
  })

  it('never accepts a code twice, nor an older one after a newer was used (RFC 6238 §5.2)', async () => {
    f = await createLoginFactory()
    const used = f.code()
    expect(
      (await validate({ user_name: 'tina', totp_code: used, totp_challenge: await challenge() }))
        .status,
    ).toBe(200)
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: used, totp_challenge: await challenge() }),
      'wrong or already used TOTP code',
    )
    await expectRefused(
      await f.login(tina.name, tina.password, { 'x-totp-code': used }),
      'wrong or already used TOTP code',
    )
    await expectRefused(
      await validate({
        user_name: 'tina',
        totp_code: f.code(-30),
        totp_challenge: await challenge(),
      }),
      'wrong or already used TOTP code',
    )
    f.advance(30)
    expect(
      (
        await validate({
          user_name: 'tina',
          totp_code: f.code(),
          totp_challenge: await challenge(),
        })
      ).status,
    ).toBe(200)
  })

  it('never accepts a challenge twice', async () => {
    f = await createLoginFactory()
    const c = await challenge()
    expect(
      (await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c })).status,
    ).toBe(200)
    f.advance(30)
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c }),
      'unknown, expired or already used TOTP challenge',
    )
  })

  it('refuses an expired challenge, checking it before the code', async () => {
    f = await createLoginFactory()
    const c = await challenge()
    f.advance(121)
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c }),
      'unknown, expired or already used TOTP challenge',
    )
  })

  it('refuses a challenge presented for another user, and that presentation uses it up', async () => {
    f = await createLoginFactory()
    const c = await challenge()
    await expectRefused(
      await validate({ user_name: victor.name, totp_code: f.code(), totp_challenge: c }),
      'unknown, expired or already used TOTP challenge',
    )
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c }),
      'unknown, expired or already used TOTP challenge',
    )
  })

  it('refuses a wrong code; the challenge is then used up (one challenge, one try)', async () => {
    f = await createLoginFactory()
    const c = await challenge()
    const wrong = f.code() === '123456' ? '654321' : '123456'
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: wrong, totp_challenge: c }),
      'wrong or already used TOTP code',
    )
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c }),
      'unknown, expired or already used TOTP challenge',
    )
    await expectRefused(
      await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: 'made-up' }),
      'unknown, expired or already used TOTP challenge',
    )
  })

  it('counts wrong codes and challenges as failed logins (429)', async () => {
    f = await createLoginFactory({ LOGIN_MAX_FAILURES_PER_USER: '3' })
    for (let i = 0; i < 3; i++)
      expect(
        (await validate({ user_name: 'tina', totp_code: '000000', totp_challenge: `guess-${i}` }))
          .status,
      ).toBe(401)
    const limited = await f.login(tina.name, tina.password)
    expect(limited.status).toBe(429)
    expect(limited.headers.get('retry-after')).toBe('300')
  })

  it('answers 400 to a body without its fields, or with a code as a number', async () => {
    f = await createLoginFactory()
    const c = await challenge()
    for (const body of [
      {},
      { user_name: 'tina', totp_challenge: c },
      { user_name: 'tina', totp_code: 123456, totp_challenge: c },
      { user_name: 'tina', totp_code: f.code(), totp_challenge: c, expire_seconds: 'soon' },
    ]) {
      const res = await validate(body)
      expect(res.status).toBe(400)
    }
    // None of those consumed the challenge.
    expect(
      (await validate({ user_name: 'tina', totp_code: f.code(), totp_challenge: c })).status,
    ).toBe(200)
  })
})
