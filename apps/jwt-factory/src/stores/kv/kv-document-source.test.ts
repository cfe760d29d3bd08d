import { randomBytes } from 'node:crypto'
import { recordingLogger } from '@jwt-factory/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { revocationsFileOf } from '../../oauth/revocations-file.ts'
import { revocationsKvLayout } from '../../oauth/revocations-kv-layout.ts'
import { RevocationStore } from '../../oauth/revocations.ts'
import { hashPassword, type PasswordHash } from '../../users/password-hash.ts'
import type { UserRecord, UsersFile } from '../../users/user-record.ts'
import { UserStore } from '../../users/user-store.ts'
import { usersFileOf } from '../../users/users-file.ts'
import { usersKvLayout } from '../../users/users-kv-layout.ts'
import { openEtcdBackend } from '../etcd/etcd-backend.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
  randomPrefix,
  startTestEtcd,
  type TestEtcd,
} from '../etcd/etcd-test-cluster.ts'
import type { KvBackend } from './kv-backend.ts'
import { kvDocumentSource } from './kv-document-source.ts'
import { KEK_BYTES, SealedBox } from './sealed-box.ts'

const TITLE = etcdSuiteTitle('documents in etcd')

let etcd: TestEtcd | undefined
const backends: KvBackend[] = []
let lines: string[] = []
const logger = recordingLogger((line) => lines.push(line))
const warnings = () =>
  lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 40)

const box = new SealedBox(randomBytes(KEK_BYTES))
const created = new Date(0).toISOString()
let password: PasswordHash
const user = (name: string, more: Partial<UserRecord> = {}): UserRecord => ({
  name,
  password,
  roles: ['viewer'],
  locked: false,
  created,
  updated: created,
  ...more,
})
const adding =
  (...added: UserRecord[]) =>
  ({ users }: UsersFile) =>
    usersFileOf([...users, ...added])
const names = async (source: { read(): Promise<{ data: UsersFile }> }) =>
  (await source.read()).data.users.map((u) => u.name)

/** `count` clients on one fresh prefix: as many factories sharing one store. */
async function backendsOnOnePrefix(count: number): Promise<KvBackend[]> {
  const prefix = randomPrefix()
  const opened = await Promise.all(
    Array.from({ length: count }, () =>
      openEtcdBackend({ endpoints: etcd!.endpoints, prefix, timeoutMs: 5000, logger }),
    ),
  )
  backends.push(...opened)
  return opened
}
const users = (backend: KvBackend, kek = box) =>
  kvDocumentSource(backend, usersKvLayout(kek), logger)

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
    password = await hashPassword('a-password-of-sixteen', { N: 1024, r: 8, p: 1, keyLength: 32 })
  }, 60_000)

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()))
    await etcd?.stop()
  })

  it('two writers at once: the one overtaken retries on the new content, and both land', async () => {
    const [a, b] = await backendsOnOnePrefix(2)
    let entered!: () => void
    let release!: () => void
    const inside = new Promise<void>((resolve) => (entered = resolve))
    const held = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    const slow = users(a!).update(async (doc) => {
      calls++
      entered()
      await held
      return adding(user('alice'))(doc)
    })
    await inside // a has read the store and is about to write
    await users(b!).update(adding(user('bob')))
    release()
    await slow
    expect(calls).toBe(2)
    expect(await names(users(a!))).toEqual(['alice', 'bob'])
    expect(await names(users(b!))).toEqual(['alice', 'bob'])
  })

  it('reports a corrupt or foreign value by its key, skips it, loads the others, and leaves it alone', async () => {
    const [a] = await backendsOnOnePrefix(1)
    const source = users(a!)
    await source.update(adding(user('alice')))
    const version = await source.version()
    await a!.commit([], [{ key: 'users/mallory', value: '{not json' }])
    expect(await source.version()).not.toBe(version) // a foreign put is a change
    const foreign = { name: 'trudy', roles: 'all', password: 'SECRET-LOOKING' }
    await a!.commit([], [{ key: 'users/trudy', value: JSON.stringify(foreign) }])
    const alice = (await a!.get('users/alice'))!.value
    await a!.commit([], [{ key: 'users/eve', value: alice }]) // alice's record under eve's key
    lines = []
    expect(await names(source)).toEqual(['alice'])
    expect(warnings().map((w) => w.key)).toEqual(['users/eve', 'users/mallory', 'users/trudy'])
    expect(String(warnings()[1]?.msg)).toMatch(/skipped users\/mallory in etcd .*: not valid JSON/)
    expect(lines.join('\n')).not.toMatch(/SECRET-LOOKING|not json/)
    // An update changes what it can read, never deletes what it cannot.
    await source.update(({ users }) => usersFileOf([...users.filter((u) => u.name !== 'alice')]))
    expect(await a!.get('users/alice')).toBeUndefined()
    expect((await a!.get('users/mallory'))?.value).toBe('{not json')
  })

  it('seals a TOTP secret: not in the raw value, and a record sealed under another KEK or moved to another key is skipped', async () => {
    const [a] = await backendsOnOnePrefix(1)
    const totpSecret = 'JBSWY3DPEHPK3PXPJBSWY3DP'
    await users(a!).update(adding(user('carol', { totpSecret })))
    const raw = (await a!.get('users/carol'))!.value
    expect(raw).not.toContain(totpSecret)
    expect(JSON.parse(raw)).toMatchObject({ name: 'carol', totpSecret: /^sealed:v1:/ })
    expect((await users(a!).read()).data.users[0]?.totpSecret).toBe(totpSecret)

    lines = []
    expect(await names(users(a!, new SealedBox(randomBytes(KEK_BYTES))))).toEqual([])
    expect(warnings()).toMatchObject([
      { key: 'users/carol', msg: expect.stringMatching(/key-encryption key/) as unknown },
    ])
    // The sealed secret is bound to its key: copied to another user's, it does not open there.
    const moved = JSON.stringify({ ...(JSON.parse(raw) as object), name: 'dave' })
    await a!.commit([], [{ key: 'users/dave', value: moved }])
    expect(await names(users(a!))).toEqual(['carol'])
    expect(lines.join('\n')).not.toContain(totpSecret)
  })

  it('a watching UserStore takes in a user added through another factory, without being asked', async () => {
    const [a, b] = await backendsOnOnePrefix(2)
    let seen!: () => void
    const carolLoaded = new Promise<void>((resolve) => (seen = resolve))
    const store = await UserStore.open({
      source: users(a!),
      logger,
      refuseDemoPasswords: false,
      watch: true,
      onLoad: (s) => (s.get('carol') ? seen() : undefined),
    })
    try {
      expect(store.size).toBe(0)
      expect(store.where).toMatch(/^etcd http:\/\/127\.0\.0\.1:\d+ users\/$/)
      await users(b!).update(adding(user('carol')))
      await carolLoaded
      expect(store.get('carol')?.roles).toEqual(['viewer'])
    } finally {
      store.close()
    }
  })

  it('an update larger than one etcd transaction (an import) lands whole, in several commits', async () => {
    const [a] = await backendsOnOnePrefix(1)
    const now = () => new Date(2_000_000_000 * 1000)
    const source = kvDocumentSource(a!, revocationsKvLayout(30, now), logger)
    const many = Array.from({ length: 300 }, (_, i) => ({ jti: `jti-${i}`, exp: 2_000_000_600 }))
    await source.update(() => revocationsFileOf(many))
    expect((await a!.list('revocations/')).length).toBe(300)
    expect((await source.read()).data).toEqual(revocationsFileOf(many))
  })

  it('revocations expire in etcd by themselves once their token can no longer verify', async () => {
    const [a] = await backendsOnOnePrefix(1)
    const KEEP = 30
    const nowSeconds = 2_000_000_000
    const now = () => new Date(nowSeconds * 1000)
    const source = kvDocumentSource(a!, revocationsKvLayout(KEEP, now), logger)
    const store = await RevocationStore.open({ source, logger, now, keepSeconds: KEEP })
    const short = `revocations/${encodeURIComponent('short/lived')}`
    const dropped = new Promise<void>((resolve) => {
      const watch = a!.watch(short, (keys) => {
        if (!keys.includes(short)) return
        void a!.get(short).then((entry) => {
          if (entry === undefined) resolve(watch.close())
        })
      })
    })
    await store.revoke('short/lived', nowSeconds - KEEP + 1) // one second left to live
    await store.revoke('long', nowSeconds + 600)
    expect(store.isRevoked('short/lived')).toBe(true)
    expect(JSON.parse((await a!.get(short))!.value)).toEqual({
      jti: 'short/lived',
      exp: 1999999971,
    })
    await dropped
    expect((await source.read()).data.revoked).toEqual([{ jti: 'long', exp: nowSeconds + 600 }])
    store.close()
  })
})
