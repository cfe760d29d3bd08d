import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeFileAtomic } from '@jwt-factory/files'
import { recordingLogger } from '@jwt-factory/server'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { writeTestUsers } from '../login/login-test-support.ts'
import { ensureDemoUsers } from './demo-users.ts'
import { UserStore } from './user-store.ts'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import { readUsersFile, USERS_FORMAT, UsersFileError } from './users-file.ts'

let dir: string
let file: string
let lines: string[]
const stores: UserStore[] = []
const logger = () => recordingLogger((line) => lines.push(line))
const open = async (options: { watch?: boolean; refuseDemoPasswords?: boolean } = {}) => {
  const log = logger()
  const store = await UserStore.open({
    source: fileDocumentSource(file, USERS_FORMAT, log),
    logger: log,
    refuseDemoPasswords: options.refuseDemoPasswords ?? false,
    watch: options.watch ?? false,
  })
  stores.push(store)
  return store
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwt-factory-users-'))
  file = join(dir, 'data', 'users.json')
  lines = []
})

afterEach(async () => {
  for (const store of stores.splice(0)) store.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the users file', () => {
  it('is written atomically with mode 0600 in a 0700 folder, never holding a temporary file after', async () => {
    await writeTestUsers(file, [{ name: 'bob', password: 'bob-password-1', roles: ['viewer'] }])
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700)
    expect(await readdir(join(dir, 'data'))).toEqual(['users.json'])
    const text = await readFile(file, 'utf8')
    expect(JSON.parse(text)).toMatchObject({
      version: 1,
      users: [{ name: 'bob', roles: ['viewer'], locked: false }],
    })
    expect(text).not.toContain('bob-password-1')
  })

  it('reads as no users when missing, and refuses an invalid file at start', async () => {
    expect((await open()).size).toBe(0)
    await mkdir(join(dir, 'data'))
    await writeFileAtomic(file, '{"version":1,"users":[{"name":"x"}]}', { mode: 0o600 })
    await expect(open()).rejects.toBeInstanceOf(UsersFileError)
    await writeFile(file, 'not json')
    await expect(open()).rejects.toThrow(/users\.json: not valid JSON/)
  })
})

describe('UserStore', () => {
  it('picks up a change made on disk by another process, without being asked', async () => {
    await writeTestUsers(file, [{ name: 'bob', password: 'bob-password-1', roles: ['viewer'] }])
    const store = await open({ watch: true })
    expect(store.get('bob')?.roles).toEqual(['viewer'])
    await writeTestUsers(file, [
      { name: 'bob', password: 'bob-password-1', roles: ['admin'] },
      { name: 'carol', password: 'carol-password-1', roles: ['viewer'] },
    ])
    await vi.waitFor(() => expect(store.get('carol')).toBeDefined(), {
      timeout: 5000,
      interval: 20,
    })
    expect(store.get('bob')?.roles).toEqual(['admin'])
  })

  it('re-reads only when the file changed', async () => {
    await writeTestUsers(file, [{ name: 'bob', password: 'bob-password-1', roles: ['viewer'] }])
    const store = await open()
    expect(await store.refresh()).toBe(false)
    await writeTestUsers(file, [{ name: 'dan', password: 'dan-password-1', roles: ['viewer'] }])
    expect(await store.refresh()).toBe(true)
    expect(store.get('dan')).toBeDefined()
    expect(await store.refresh()).toBe(false)
  })

  it('keeps the last good users when the file turns corrupt, warns, and recovers', async () => {
    await writeTestUsers(file, [{ name: 'bob', password: 'bob-password-1', roles: ['viewer'] }])
    const store = await open({ watch: true })
    await writeFileAtomic(file, '{"version":1,"users":[{"name":"bob","roles":"oops"}', {
      mode: 0o600,
    })
    await vi.waitFor(() => expect(lines.join('')).toContain('kept the last good users'), {
      timeout: 5000,
      interval: 20,
    })
    expect(store.get('bob')?.roles).toEqual(['viewer'])
    const warning = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).includes('kept the last good'))
    expect(warning).toMatchObject({ level: 40 })
    await rm(file) // writeTestUsers reads before it writes, and this file cannot be read
    await writeTestUsers(file, [{ name: 'erin', password: 'erin-password-1', roles: ['admin'] }])
    await vi.waitFor(() => expect(store.get('erin')).toBeDefined(), { timeout: 5000, interval: 20 })
  })

  it('beyond loopback, treats users with a documented demo password as locked and says so', async () => {
    await ensureDemoUsers(file)
    await writeTestUsers(file, [{ name: 'bob', password: 'bob-password-1', roles: ['viewer'] }])
    const open_ = await open({ refuseDemoPasswords: false })
    expect(open_.get('admin')?.locked).toBe(false)
    lines = []
    const refusing = await open({ refuseDemoPasswords: true })
    expect(refusing.get('admin')?.locked).toBe(true)
    expect(refusing.get('viewer')?.locked).toBe(true)
    expect(refusing.get('guest')?.locked).toBe(true)
    expect(refusing.get('bob')?.locked).toBe(false)
    const error = lines
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => l.level === 50)
    expect(String(error?.msg)).toMatch(/refused admin, guest, viewer: documented demo password/)
    // A demo user whose password was changed is no longer refused.
    await writeTestUsers(file, [{ name: 'admin', password: 'a-real-password', roles: ['admin'] }])
    await refusing.refresh()
    expect(refusing.get('admin')?.locked).toBe(false)
  })
})

describe('ensureDemoUsers', () => {
  it('adds admin, viewer and guest only when absent, and leaves the file alone when all exist', async () => {
    await writeTestUsers(file, [{ name: 'admin', password: 'my-own-password', roles: ['viewer'] }])
    expect(await ensureDemoUsers(file)).toEqual({ created: ['viewer', 'guest'] })
    const { users, version } = await readUsersFile(file)
    expect(users.find((u) => u.name === 'admin')?.roles).toEqual(['viewer'])
    expect(users.find((u) => u.name === 'viewer')?.roles).toEqual(['viewer'])
    expect(users.find((u) => u.name === 'guest')?.roles).toEqual(['guest'])
    expect(await ensureDemoUsers(file)).toEqual({ created: [] })
    expect((await readUsersFile(file)).version).toEqual(version)
  })
})
