import { createTestFactory, type TestFactoryOptions } from '../test-support.ts'
import { hashPassword, type PasswordHash } from '../users/password-hash.ts'
import type { UserRecord } from '../users/user-record.ts'
import { updateUsersFile } from '../users/users-file.ts'
import { newTotpSecret, totpCode } from './totp.ts'

export interface TestUser {
  name: string
  password: string
  roles: string[]
  totpSecret?: string
  locked?: boolean
}

/** Hashing is slow on purpose; a test file hashes each password once and reuses the hash. */
const hashes = new Map<string, Promise<PasswordHash>>()
const hashOnce = (password: string) => {
  let hash = hashes.get(password)
  if (!hash) hashes.set(password, (hash = hashPassword(password)))
  return hash
}

/** Writes users the way the CLI does (real scrypt hashes, the real file). */
export async function writeTestUsers(file: string, users: readonly TestUser[]): Promise<void> {
  const records: UserRecord[] = []
  for (const u of users) {
    const time = new Date().toISOString()
    records.push({
      name: u.name,
      password: await hashOnce(u.password),
      roles: u.roles,
      ...(u.totpSecret ? { totpSecret: u.totpSecret } : {}),
      locked: u.locked ?? false,
      created: time,
      updated: time,
    })
  }
  await updateUsersFile(file, (existing) => [
    ...existing.filter((e) => !users.some((u) => u.name === e.name)),
    ...records,
  ])
}

export const TOTP_SECRET = newTotpSecret()

export const TEST_USERS = {
  alice: { name: 'alice', password: 'alice-password-1', roles: ['admin'] },
  victor: { name: 'victor', password: 'victor-password-1', roles: ['viewer'] },
  tina: { name: 'tina', password: 'tina-password-1', roles: ['viewer'], totpSecret: TOTP_SECRET },
  lou: { name: 'lou', password: 'lou-password-1', roles: ['admin'], locked: true },
} satisfies Record<string, TestUser>

export const basic = (name: string, password: string) =>
  `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`

/**
 * A factory with the test users and a clock the test moves. Starts on a 30 s boundary plus 10 s,
 * so a code of "now" stays in its step until the test moves the clock.
 */
export async function createLoginFactory(
  env: Record<string, string> = {},
  options: TestFactoryOptions = {},
) {
  const clock = { time: new Date(Date.UTC(2030, 0, 1, 0, 0, 10)) }
  const now = () => clock.time
  const factory = await createTestFactory(env, now, {
    ...options,
    prepareUsers: (file) => writeTestUsers(file, Object.values(TEST_USERS)),
  })
  const advance = (seconds: number) => {
    clock.time = new Date(clock.time.getTime() + seconds * 1000)
  }
  const code = (offsetSeconds = 0, secret = TOTP_SECRET) =>
    totpCode(secret, clock.time.getTime() + offsetSeconds * 1000)
  const login = (name: string, password: string, headers: Record<string, string> = {}) =>
    factory.app.request('/login', {
      method: 'POST',
      headers: { authorization: basic(name, password), ...headers },
    })
  return { ...factory, clock, now, advance, code, login }
}

export const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>
export const headerOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString()) as Record<string, unknown>
