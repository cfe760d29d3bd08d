import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { totpCode } from '../src/login/totp.ts'
import {
  call,
  cleanUp,
  eventually,
  freshKeysDir,
  postJson,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { runUsersCli } from './users-cli-process.ts'

/**
 * Users against the running factory: the CLI changes the users file while it runs, and the
 * factory picks each change up; login, TOTP and /auth over a real socket; the user key survives
 * a restart; nothing secret reaches the logs.
 */
let factory: FactoryProcess
let keysDir: string
let usersFile: string
const logs: string[] = []
const PASSWORD = 'alice-process-password'
const basic = (name: string, password: string) =>
  `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`
const login = (name: string, password: string, headers: Record<string, string> = {}) =>
  call(`${factory.url}/login`, {
    method: 'POST',
    headers: { authorization: basic(name, password), ...headers },
  })
/** The user issuer's key set: the user key alone (the service keys are at /.well-known/jwks.json). */
const jwksKids = async () =>
  ((await call(`${factory.url}/jwks/users`)).json as { keys: { kid: string }[] }).keys.map(
    (k) => k.kid,
  )
const codes: string[] = []

/** Polls an async check (the factory picks file changes up within moments, not at once). */
async function until<T>(check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
let token: string

beforeAll(async () => {
  keysDir = await freshKeysDir()
  usersFile = join(dirname(keysDir), 'users.json') // where factory-process points USERS_FILE
  factory = await startFactory({ keysDir, env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '3' } })
})
afterAll(() => cleanUp())

describe('users and the running factory', () => {
  it('publishes no user key while there are no users', async () => {
    expect(await jwksKids()).toEqual([])
    expect((await login('alice', PASSWORD)).status).toBe(401)
  })

  it('sees a user the CLI adds while it runs, makes the user key, and logs the user in', async () => {
    expect(
      (await runUsersCli(usersFile, ['add', 'alice', '--role', 'admin'], `${PASSWORD}\n`)).code,
    ).toBe(0)
    // Polling the JWKS, not /login: failed logins would count towards the throttle.
    await until(async () => ((await jwksKids()).length === 1 ? true : undefined))
    const ok = await login('alice', PASSWORD)
    expect(ok.status).toBe(200)
    token = (ok.json as { access_token: string }).access_token
    const auth = await call(`${factory.url}/auth`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-permission': 'token-issue' },
    })
    expect(auth.json).toEqual({ permission: 'token-issue', success: true, user: 'alice' })
  })

  it('runs the TOTP login once the CLI turned TOTP on, and refuses the code a second time', async () => {
    const enabled = await runUsersCli(usersFile, ['totp-enable', 'alice'])
    const secret = new URL(/otpauth:\/\/\S+/.exec(enabled.stdout)![0]).searchParams.get('secret')!
    const challenge = await until(async () => {
      const res = await login('alice', PASSWORD)
      return res.status === 428
        ? (res.json as { totp_challenge: string }).totp_challenge
        : undefined
    })
    const code = totpCode(secret, Date.now())
    codes.push(code)
    const done = await postJson(`${factory.url}/totp/validate`, {
      user_name: 'alice',
      totp_code: code,
      totp_challenge: challenge,
    })
    expect(done.status).toBe(200)
    const again = await login('alice', PASSWORD, { 'x-totp-code': code })
    expect(again.status).toBe(401)
  })

  it('keeps the user key across a restart: earlier user tokens still pass /auth', async () => {
    const kids = await jwksKids()
    logs.push(factory.stdout())
    await factory.stop()
    factory = await startFactory({ keysDir, env: { LOGIN_MAX_FAILURES_PER_ADDRESS: '3' } })
    expect(await jwksKids()).toEqual(kids)
    const auth = await call(`${factory.url}/auth`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    })
    expect(auth.status).toBe(200)
  })

  it("throttles failures by the socket's address, not X-Forwarded-For", async () => {
    for (let i = 0; i < 3; i++)
      expect(
        (await login(`guess${i}`, 'guess-password', { 'x-forwarded-for': `10.1.1.${i}` })).status,
      ).toBe(401)
    const limited = await login('alice', PASSWORD, { 'x-forwarded-for': '10.9.9.9' })
    expect(limited.status).toBe(429)
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(290)
  })

  it('never logs a password, a TOTP code, a secret or a token', async () => {
    await eventually(() => factory.stdout().includes('"path":"/login"'))
    const all = [...logs, factory.stdout(), factory.stderr()].join('\n')
    expect(all).toContain('"user":"alice"')
    for (const secret of [PASSWORD, 'guess-password', token, ...codes])
      expect(all).not.toContain(secret)
  })
})
