import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verifyPassword } from '../src/users/password-hash.ts'
import { readUsersFile } from '../src/users/users-file.ts'
import { cleanUp, makeTempDir } from './factory-process.ts'
import { runUsersCli } from './users-cli-process.ts'

/** `npm run users -- …` as a real child process on a temporary store. */
let file: string
const users = (args: string[], stdin = '') => runUsersCli(file, args, stdin)

const user = async (name: string) => (await readUsersFile(file)).users.find((u) => u.name === name)

beforeAll(async () => {
  file = join(await makeTempDir('jwt-factory-users-cli-'), 'data', 'users.json')
})
afterAll(() => cleanUp())

describe('npm run users', () => {
  it('adds a user with the password from stdin: hashed, mode 0600', async () => {
    const r = await users(['add', 'bob', '--role', 'viewer'], 'bob-secret-password\n')
    expect(r).toMatchObject({ code: 0, stdout: 'added bob (roles viewer)\n' })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const bob = await user('bob')
    expect(bob).toMatchObject({ name: 'bob', roles: ['viewer'], locked: false })
    expect(await verifyPassword('bob-secret-password', bob!.password)).toBe(true)
    expect(await readFile(file, 'utf8')).not.toContain('bob-secret-password')
  })

  it('refuses a second add of the same name (1), an unknown role or a bad name (2), no password (1)', async () => {
    expect(await users(['add', 'bob', '--role', 'viewer'], 'another-password\n')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('bob exists already'),
    })
    expect(await users(['add', 'carol', '--role', 'root'], 'carol-password\n')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown role root: the policy defines admin, viewer, guest'),
    })
    expect(await users(['add', 'bad:name', '--role', 'viewer'], 'carol-password\n')).toMatchObject({
      code: 2,
    })
    expect(await users(['add', 'carol'], 'carol-password\n')).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('--role'),
    })
    expect(await users(['add', 'carol', '--role', 'viewer'], '')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no password on stdin'),
    })
    expect(await users(['add', 'carol', '--role', 'viewer'], 'short\n')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('8 to 1024 characters'),
    })
    expect(
      await users(['add', 'carol', '--role', 'viewer'], 'admin-demo-password\n'),
    ).toMatchObject({ code: 1, stderr: expect.stringContaining('demo password') })
    expect(await user('carol')).toBeUndefined()
  })

  it('changes roles, locks and unlocks', async () => {
    expect(await users(['roles', 'bob', 'admin,viewer'])).toMatchObject({ code: 0 })
    expect((await user('bob'))?.roles).toEqual(['admin', 'viewer'])
    expect(await users(['lock', 'bob'])).toMatchObject({ code: 0, stdout: 'locked bob\n' })
    expect((await user('bob'))?.locked).toBe(true)
    expect(await users(['unlock', 'bob'])).toMatchObject({ code: 0 })
    expect((await user('bob'))?.locked).toBe(false)
    expect(await users(['lock', 'nobody'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('no user nobody'),
    })
  })

  it('totp-enable prints the otpauth:// URI (the secret it stored) and a QR code; totp-disable removes it', async () => {
    const r = await users(['totp-enable', 'bob'])
    expect(r.code).toBe(0)
    const uri = /otpauth:\/\/totp\/\S+/.exec(r.stdout)?.[0]
    expect(uri).toBeDefined()
    const secret = new URL(uri!).searchParams.get('secret')
    expect((await user('bob'))?.totpSecret).toBe(secret)
    expect(r.stdout).toMatch(/[▄▀█]/) // the terminal QR code
    expect(await users(['totp-enable', 'bob'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--force'),
    })
    expect(await users(['totp-disable', 'bob'])).toMatchObject({ code: 0 })
    expect((await user('bob'))?.totpSecret).toBeUndefined()
  })

  it('passwd replaces the hash', async () => {
    const before = (await user('bob'))!.password
    expect(await users(['passwd', 'bob'], 'bob-new-password\n')).toMatchObject({
      code: 0,
      stdout: 'changed the password of bob\n',
    })
    const after = (await user('bob'))!.password
    expect(after.salt).not.toBe(before.salt)
    expect(await verifyPassword('bob-new-password', after)).toBe(true)
    expect(await verifyPassword('bob-secret-password', after)).toBe(false)
  })

  it('list shows names, roles and flags, never a hash or a secret', async () => {
    await users(['totp-enable', 'bob'])
    const r = await users(['list'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^NAME\s+ROLES\s+TOTP\s+LOCKED\s+UPDATED\n/)
    expect(r.stdout).toMatch(/bob\s+admin,viewer\s+yes\s+no/)
    const bob = (await user('bob'))!
    for (const secret of [bob.password.hash, bob.password.salt, bob.totpSecret!])
      expect(r.stdout).not.toContain(secret)
  })

  it('demo-users adds admin, viewer and guest once', async () => {
    expect(await users(['demo-users'])).toMatchObject({
      code: 0,
      stdout: 'added admin, viewer, guest\n',
    })
    expect(await users(['demo-users'])).toMatchObject({
      code: 0,
      stdout: 'the demo users exist already\n',
    })
    expect(await verifyPassword('admin-demo-password', (await user('admin'))!.password)).toBe(true)
  })

  it('answers 2 with the usage to no command or an unknown one, 0 to --help', async () => {
    expect(await users([])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('usage: npm run users'),
    })
    expect(await users(['frobnicate'])).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command frobnicate'),
    })
    expect(await users(['list', '--bogus'])).toMatchObject({ code: 2 })
    expect(await users(['--help'])).toMatchObject({
      code: 0,
      stdout: expect.stringContaining('totp-enable NAME'),
    })
  })

  it('answers 1 and leaves a corrupt file alone', async () => {
    await writeFile(file, '{ broken')
    expect(await users(['add', 'zed', '--role', 'viewer'], 'zed-password-1\n')).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('not valid JSON'),
    })
    expect(await readFile(file, 'utf8')).toBe('{ broken')
  })
})
