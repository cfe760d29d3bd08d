import { join } from 'node:path'
import { Etcd3 } from 'etcd3'
import { TOTP } from 'otpauth'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ETCD_AVAILABLE,
  etcdStoreEnv,
  etcdSuiteTitle,
  randomPrefix,
  startTestEtcd,
  type TestEtcd,
} from '../src/stores/etcd/etcd-test-cluster.ts'
import {
  call,
  cleanUp,
  eventually,
  makeTempDir,
  postJson,
  startFactory,
  type FactoryProcess,
} from './factory-process.ts'
import { clientBasic, formPost } from './oauth-requests.ts'
import { runFactoryCliWithEnv } from './users-cli-process.ts'

/**
 * Three real factories (child processes) on one real 3-member etcd cluster: what one does, the
 * others know (keys, users, TOTP steps, revocations), and etcd's faults (a member down, all of them
 * down, a factory killed in a rotation, a corrupt value) cost neither a token nor a process.
 */
const TITLE = etcdSuiteTitle('three factories on one etcd (STORE=etcd)')

/** The issuers are PUBLIC_URL's: factories behind one name share it, as they share the store. */
const PUBLIC_URL = 'https://factory.test'
/** A watch delivers in milliseconds; the bound only keeps a broken one from hanging the run. */
const WATCH_BOUND_MS = 10_000
/** After etcd comes back: the client's breaker and backoff let calls through again. */
const RECOVERY_BOUND_MS = 30_000

let etcd: TestEtcd
let env: Record<string, string>
let factories: FactoryProcess[]
let raw: Etcd3
let prefix: string

const startOne = () => startFactory({ env })
const jwksKids = async (f: FactoryProcess, keyId: string): Promise<string[]> => {
  const { json } = await call(`${f.url}/jwks/${keyId}`)
  return ((json as { keys?: { kid: string }[] }).keys ?? []).map((k) => k.kid).sort()
}
const activeKid = async (f: FactoryProcess, keyId: string): Promise<string> => {
  const { status, json } = await call(`${f.url}/keys/${keyId}`)
  expect(status, JSON.stringify(json)).toBeLessThan(300)
  return (json as { kid: string }).kid
}
const rotate = (f: FactoryProcess, keyId: string) =>
  call(`${f.url}/keys/${keyId}`, { method: 'POST' })
const issue = async (f: FactoryProcess, keyId = 'servicea'): Promise<string> => {
  const { status, text } = await postJson(`${f.url}/issueToken/${keyId}`, { aud: 'serviceb' })
  expect(status, text).toBe(200)
  return text
}
const verifies = async (f: FactoryProcess, token: string, keyId = 'servicea') =>
  (await postJson(`${f.url}/verify/${keyId}`, { token, aud: 'serviceb', sub: keyId })).status ===
  200
const basic = (name: string, password: string) =>
  `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`
const login = (f: FactoryProcess, name: string, password: string, code?: string) =>
  call(`${f.url}/login`, {
    method: 'POST',
    headers: { authorization: basic(name, password), ...(code ? { 'x-totp-code': code } : {}) },
  })
const cli = (name: 'users' | 'clients', args: string[], stdin = '') =>
  runFactoryCliWithEnv(name, env, args, stdin)
/** The factory's own log lines that name `key`, e.g. a value it skipped. */
const logsNaming = (f: FactoryProcess, key: string) =>
  f.logEntries().filter((e) => JSON.stringify(e).includes(key))

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 3 })
    prefix = randomPrefix()
    const dir = await makeTempDir('etcd-factories-')
    env = {
      ...etcdStoreEnv(etcd, join(dir, 'store.kek'), prefix),
      ETCD_TIMEOUT_MS: '1000',
      // One process each: three factories, each seen whole by one JWKS check (workers on etcd
      // are tested in workers.test.ts).
      WORKERS: '1',
      PUBLIC_URL,
    }
    factories = await Promise.all([startOne(), startOne(), startOne()])
    raw = new Etcd3({ hosts: etcd.endpoints })
    // servicea's first key, made at one factory, and known to the others by their watch.
    const kid = await activeKid(factories[0]!, 'servicea')
    for (const f of factories) {
      await eventually(async () => (await jwksKids(f, 'servicea')).includes(kid))
    }
  }, 60_000)

  afterAll(async () => {
    raw?.close()
    await cleanUp()
    await etcd?.stop()
  }, 60_000)

  it('a token issued by any factory verifies at every other', async () => {
    for (const issuer of factories) {
      const token = await issue(issuer)
      for (const verifier of factories) expect(await verifies(verifier, token)).toBe(true)
    }
  })

  it('a rotation through one factory is in every JWKS, and the new key signs everywhere', async () => {
    const [a, b, c] = factories as [FactoryProcess, FactoryProcess, FactoryProcess]
    const before = await activeKid(a, 'servicea')
    const { status, json } = await rotate(b, 'servicea')
    expect(status).toBe(201)
    const kid = (json as { kid: string }).kid
    expect(kid).not.toBe(before)
    for (const f of [a, c]) {
      await eventually(async () => (await jwksKids(f, 'servicea')).includes(kid))
      await eventually(async () => (await activeKid(f, 'servicea')) === kid)
    }
    // The old key still verifies the tokens it signed: a rotation is not a retirement.
    expect(await jwksKids(c, 'servicea')).toContain(before)
  })

  it('two rotations at once leave exactly one new active key, and both answers name it', async () => {
    const [a, b, c] = factories as [FactoryProcess, FactoryProcess, FactoryProcess]
    const before = await jwksKids(c, 'servicea')
    const answers = await Promise.all([rotate(a, 'servicea'), rotate(b, 'servicea')])
    const kids = answers.map((r) => (r.json as { kid: string }).kid)
    expect(answers.map((r) => r.status)).toEqual([201, 201])
    expect(kids[0]).toBe(kids[1])
    await eventually(async () => (await activeKid(c, 'servicea')) === kids[0])
    expect(await jwksKids(c, 'servicea')).toEqual([...before, kids[0]!].sort())
  })

  it('a user added by the CLI logs in at every factory; a TOTP code used at one is refused at the others', async () => {
    const password = 'correct horse battery'
    const added = await cli('users', ['add', 'carol', '--role', 'viewer'], `${password}\n`)
    expect(added, added.stderr).toMatchObject({ code: 0 })
    for (const f of factories) {
      await eventually(async () => (await login(f, 'carol', password)).status === 200)
    }
    const enabled = await cli('users', ['totp-enable', 'carol'])
    expect(enabled.code, enabled.stderr).toBe(0)
    const secret = new URL(/otpauth:\/\/totp\/\S+/.exec(enabled.stdout)![0]).searchParams.get(
      'secret',
    )!
    // Stored sealed: a dump of etcd does not give the secret away.
    const stored = await raw.get(`${prefix}users/carol`).string()
    expect(stored).not.toContain(secret)
    for (const f of factories) {
      await eventually(async () => (await login(f, 'carol', password)).status === 428)
    }
    const code = new TOTP({ secret }).generate()
    const [first, ...others] = factories as [FactoryProcess, ...FactoryProcess[]]
    const accepted = await login(first, 'carol', password, code)
    expect(accepted.status, accepted.text).toBe(200)
    for (const f of others) {
      const replayed = await login(f, 'carol', password, code)
      expect(replayed.status, 'attack: a TOTP code replayed at another factory').toBe(401)
    }
  })

  it('a revocation at one factory is seen by all', async () => {
    const secret = 'servicea-secret-for-the-etcd-test-0123456789'
    const added = await cli('clients', ['add', 'servicea'], `${secret}\n`)
    expect(added.code, added.stderr).toBe(0)
    const [a, b, c] = factories as [FactoryProcess, FactoryProcess, FactoryProcess]
    const client = { id: 'servicea', secret }
    const grant = { grant_type: 'client_credentials', audience: 'serviceb' }
    const issued = await eventually(async () => {
      const r = await call(`${a.url}/token`, formPost(grant, client))
      return r.status === 200 ? (r.json as { access_token: string }).access_token : undefined
    })
    for (const f of factories) expect(await verifies(f, issued)).toBe(true)
    await eventually(async () => {
      const r = await call(`${b.url}/revoke`, formPost({ token: issued }, client))
      return r.status === 200
    })
    for (const f of [a, c]) {
      await eventually(async () => !(await verifies(f, issued)))
      const r = await call(`${f.url}/introspect`, {
        ...formPost({ token: issued }),
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: clientBasic(client.id, client.secret),
        },
      })
      expect(r.json).toEqual({ active: false })
    }
  })

  it('one etcd member down: issuing, verifying and rotating go on', async () => {
    await etcd.stopMember(0)
    try {
      const [a, b] = factories as [FactoryProcess, FactoryProcess]
      const { status, json } = await rotate(a, 'servicea')
      expect(status, JSON.stringify(json)).toBe(201)
      const kid = (json as { kid: string }).kid
      await eventually(async () => (await activeKid(b, 'servicea')) === kid)
      expect(await verifies(b, await issue(a))).toBe(true)
    } finally {
      await etcd.startMember(0)
    }
  })

  it('every etcd member down: tokens go on; writes answer 503 naming the store and work again once etcd is back, with no restart', async () => {
    const [a, b] = factories as [FactoryProcess, FactoryProcess]
    const before = await activeKid(a, 'servicea')
    await Promise.all([0, 1, 2].map((i) => etcd.stopMember(i)))
    try {
      const token = await issue(a)
      expect(await verifies(b, token)).toBe(true)
      const refused = await rotate(a, 'servicea')
      expect(refused.status).toBe(503)
      expect(refused.json).toMatchObject({
        error: { code: 'ERR_STORE_UNAVAILABLE', message: expect.stringMatching(/etcd/) },
      })
      expect(refused.text).not.toMatch(/at .*\.js:\d+/) // no stack trace
      const cliRefused = await cli('users', ['lock', 'carol'])
      expect(cliRefused.code).toBe(1)
      expect(cliRefused.stderr).toMatch(/^users: the store \(etcd .*unavailable/m)
      expect(cliRefused.stderr).not.toMatch(/at .*\.[jt]s:\d+/) // one line, no stack trace
      // Nothing was lost: the key in memory is the one before.
      expect(await activeKid(a, 'servicea')).toBe(before)
    } finally {
      await Promise.all([0, 1, 2].map((i) => etcd.startMember(i)))
    }
    const kid = await eventually(async () => {
      const r = await rotate(a, 'servicea')
      return r.status === 201 ? (r.json as { kid: string }).kid : undefined
    }, RECOVERY_BOUND_MS)
    // And the watches came back too: the other factory learns the key without a restart.
    await eventually(async () => (await activeKid(b, 'servicea')) === kid, RECOVERY_BOUND_MS)
    expect(await verifies(b, await issue(a))).toBe(true)
  }, 120_000)

  it('a factory SIGKILLed in the middle of a rotation leaves no partial key and no lock: another rotates at once', async () => {
    const victim = await startOne()
    const [a] = factories as [FactoryProcess]
    const before = await jwksKids(a, 'servicea')
    // etcd frozen, the victim's rotation cannot finish: it waits on the store (ETCD_TIMEOUT_MS).
    for (const i of [0, 1, 2]) etcd.pauseMember(i)
    let answered: number | undefined
    try {
      const pending = rotate(victim, 'servicea').then(
        (r) => (answered = r.status),
        () => undefined,
      )
      // Answered after the rotation was sent, so the victim has read it: it is in the rotation.
      expect((await call(`${victim.url}/healthz`)).status).toBe(200)
      victim.child.kill('SIGKILL')
      await pending
      await victim.stop()
    } finally {
      for (const i of [0, 1, 2]) etcd.resumeMember(i)
    }
    expect(answered, 'the victim never answered its rotation').toBeUndefined()
    // No lock or lease of the dead factory to wait out: the next rotation lands at once.
    const { status, json } = await rotate(a, 'servicea')
    expect(status, JSON.stringify(json)).toBe(201)
    const ring = JSON.parse((await raw.get(`${prefix}keys/servicea`).string())!) as {
      active: string
      keys: { kid: string; privatePem: string }[]
    }
    const kid = (json as { kid: string }).kid
    expect(ring.active).toBe(kid)
    for (const key of ring.keys) expect(key.privatePem).toMatch(/^sealed:v1:/)
    expect(ring.keys.map((k) => k.kid).sort()).toEqual([...before, kid].sort())
    expect(await jwksKids(a, 'servicea')).toEqual([...before, kid].sort())
  })

  it('corrupt and foreign values in etcd are reported by key and skipped, never crashing a factory', async () => {
    await raw.put(`${prefix}keys/bogus`).value('{not json')
    await raw.put(`${prefix}users/mallory`).value(JSON.stringify({ name: 'mallory', admin: true }))
    await raw.put(`${prefix}keys/forged`).value(JSON.stringify({ version: 1, keyId: 'forged' }))
    // The running factories take the change in through their watch and log what they skipped.
    for (const f of factories) {
      await eventually(() => logsNaming(f, 'keys/bogus').length > 0, WATCH_BOUND_MS)
      expect((await call(`${f.url}/healthz`)).status).toBe(200)
    }
    // A factory starting on it starts, names each value it skipped, and serves the rest.
    const fresh = await startOne()
    for (const key of ['keys/bogus', 'keys/forged', 'users/mallory']) {
      await eventually(() => logsNaming(fresh, key).length > 0)
    }
    expect(await verifies(fresh, await issue(factories[0]!))).toBe(true)
    expect((await login(fresh, 'mallory', 'anything')).status).toBe(401)
    expect(fresh.stdout()).not.toContain('{not json')
    await fresh.stop()
  })
})
