import { Etcd3 } from 'etcd3'
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest'
import { createLogger, silentLogger, type Logger } from '@jwt-factory/server'
import type { KvBackend } from '../kv/kv-backend.ts'
import { StoreUnavailableError } from '../store-unavailable.ts'
import { openEtcdBackend, type EtcdBackendOptions } from './etcd-backend.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
  randomPrefix,
  startTestEtcd,
  type TestEtcd,
} from './etcd-test-cluster.ts'

/**
 * The etcd KvBackend against real etcd processes (etcd-test-cluster.ts): one single-member
 * cluster for the semantics and the outage, a three-member one for losing a member. Every
 * backend has its own random prefix, so the tests never see each other's keys.
 */
const TITLE = etcdSuiteTitle('the etcd KvBackend (real etcd)')

/** Long enough for a slow machine; the outage tests assert the error, not the time. */
const TIMEOUT_MS = 2000
const START_MS = 60_000

/** Every call of a watch's listener; `until` resolves once `count` calls in all have matched. */
function recorder() {
  const calls: (readonly string[])[] = []
  const waiting: {
    match: (keys: readonly string[]) => boolean
    count: number
    resolve: () => void
  }[] = []
  const settle = () => {
    for (const w of waiting.splice(0)) {
      if (calls.filter(w.match).length >= w.count) w.resolve()
      else waiting.push(w)
    }
  }
  return {
    calls,
    onChange(keys: readonly string[]) {
      calls.push(keys)
      settle()
    },
    until(match: (keys: readonly string[]) => boolean, count = 1): Promise<void> {
      const seen = new Promise<void>((resolve) => waiting.push({ match, count, resolve }))
      settle()
      return seen
    },
  }
}

const has = (key: string) => (keys: readonly string[]) => keys.includes(key)

/**
 * A watch connects by itself, some time after watch() returns: `write` is repeated until the
 * watch reports `key`, and from then on it sees every change.
 */
async function untilWatching(
  seen: ReturnType<typeof recorder>,
  key: string,
  write: () => Promise<unknown>,
): Promise<void> {
  const timer = setInterval(() => void write().catch(() => {}), 100)
  await write()
  await seen.until(has(key)).finally(() => clearInterval(timer))
}

/** A real logger whose JSON lines the test reads; `next` resolves at a line that matches. */
function capturedLogger() {
  const lines: string[] = []
  const waiting: { match: RegExp; resolve: () => void }[] = []
  const logger: Logger = createLogger({
    name: 'test',
    level: 'info',
    format: 'json',
    destination: {
      write(line: string) {
        lines.push(line)
        for (const w of waiting.splice(0)) {
          if (w.match.test(line)) w.resolve()
          else waiting.push(w)
        }
      },
    },
  })
  const next = (match: RegExp) => new Promise<void>((resolve) => waiting.push({ match, resolve }))
  return { logger, lines, next }
}

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  let single: TestEtcd
  let trio: TestEtcd
  const backends: KvBackend[] = []
  const clients: Etcd3[] = []

  beforeAll(async () => {
    ;[single, trio] = await Promise.all([
      startTestEtcd({ members: 1 }),
      startTestEtcd({ members: 3 }),
    ])
  }, START_MS)
  afterAll(async () => {
    for (const backend of backends.splice(0)) await backend.close()
    clients.splice(0).forEach((c) => c.close())
    await Promise.all([single?.stop(), trio?.stop()])
  }, START_MS)

  async function open(options: Partial<EtcdBackendOptions> = {}): Promise<KvBackend> {
    const backend = await openEtcdBackend({
      endpoints: single.endpoints,
      prefix: randomPrefix(),
      timeoutMs: TIMEOUT_MS,
      logger: silentLogger(),
      ...options,
    })
    backends.push(backend)
    return backend
  }

  /** A plain etcd3 client beside the backend: another writer, and a look at the leases. */
  function rawClient(endpoints: readonly string[]): Etcd3 {
    const client = new Etcd3({ hosts: [...endpoints] })
    clients.push(client)
    return client
  }

  it('names itself after its endpoints', async () => {
    const backend = await open()
    expect(backend.description).toBe(`etcd ${single.endpoints.join(',')}`)
  })

  it('gets, lists in key order, and commits only while every expectation holds', async () => {
    const backend = await open()
    expect(await backend.get('users/alice')).toBeUndefined()

    expect(
      await backend.commit(
        [{ key: 'users/bob', revision: undefined }],
        [
          { key: 'users/bob', value: '{"name":"bob"}' },
          { key: 'users/alice', value: '{"name":"alice"}' },
          { key: 'usersX', value: 'beside the prefix' },
        ],
      ),
    ).toBe(true)
    const bob = await backend.get('users/bob')
    expect(bob).toEqual({ key: 'users/bob', value: '{"name":"bob"}', revision: expect.any(String) })
    const listed = await backend.list('users/')
    expect(listed.map((e) => [e.key, e.value])).toEqual([
      ['users/alice', '{"name":"alice"}'],
      ['users/bob', '{"name":"bob"}'],
    ])
    expect((await backend.list('')).map((e) => e.key)).toEqual([
      'users/alice',
      'users/bob',
      'usersX',
    ])

    // bob exists now: expecting it absent writes nothing, not even the other key of the commit.
    expect(
      await backend.commit(
        [{ key: 'users/bob', revision: undefined }],
        [{ key: 'users/carol', value: '{}' }],
      ),
    ).toBe(false)
    expect(await backend.get('users/carol')).toBeUndefined()

    // At bob's revision: written, and the revision moves on.
    expect(
      await backend.commit(
        [{ key: 'users/bob', revision: bob!.revision }],
        [{ key: 'users/bob', value: '{"name":"bob","v":2}' }, { key: 'users/alice' }],
      ),
    ).toBe(true)
    const bob2 = await backend.get('users/bob')
    expect(bob2?.value).toBe('{"name":"bob","v":2}')
    expect(bob2?.revision).not.toBe(bob!.revision)
    expect(await backend.get('users/alice')).toBeUndefined() // deleted by the same commit

    // The old revision no longer holds: nothing written.
    expect(
      await backend.commit(
        [{ key: 'users/bob', revision: bob!.revision }],
        [{ key: 'users/bob', value: 'stale' }],
      ),
    ).toBe(false)
    expect((await backend.get('users/bob'))?.value).toBe('{"name":"bob","v":2}')

    // Another prefix is another store.
    expect(await (await open()).list('')).toEqual([])
  })

  it('two writers creating the same key at once: exactly one wins, its value stays', async () => {
    const prefix = randomPrefix()
    const [a, b] = await Promise.all([open({ prefix }), open({ prefix })])
    for (let round = 0; round < 10; round++) {
      const key = `once/assertions/client/${round}`
      const absent = [{ key, revision: undefined }]
      const results = await Promise.all([
        a.commit(absent, [{ key, value: 'a' }]),
        b.commit(absent, [{ key, value: 'b' }]),
      ])
      expect(results.filter(Boolean)).toHaveLength(1)
      expect((await a.get(key))?.value).toBe(results[0] ? 'a' : 'b')
    }
  })

  it('a key written with a ttl is removed by etcd (seen as the watch’s delete); a failed commit’s leases hold nothing and end', async () => {
    const backend = await open()
    const leases = async () => (await rawClient(single.endpoints).leaseClient.leaseLeases()).leases
    const before = new Set((await leases()).map((l) => String(l.ID)))

    const seen = recorder()
    const watch = backend.watch('once/', seen.onChange)
    onTestFinished(() => watch.close())
    await untilWatching(seen, 'once/ready', () =>
      backend.commit([], [{ key: 'once/ready', value: '1' }]),
    )

    const key = 'once/totp/alice'
    expect(await backend.commit([], [{ key, value: '42', ttlSeconds: 1 }])).toBe(true)
    await seen.until(has(key))
    expect((await backend.get(key))?.value).toBe('42')
    await seen.until(has(key), 2) // the delete when its lease ends
    expect(await backend.get(key)).toBeUndefined()

    // An expectation that fails writes nothing. Its leases (two ttls, two) are not revoked: a
    // retried txn whose first try landed also fails its compare, and revoking would delete what
    // that try wrote. They hold no key and end with their ttl.
    const failed = await backend.commit(
      [{ key: 'once/ready', revision: undefined }],
      [
        { key: 'failures/u/alice/1', value: '1', ttlSeconds: 60 },
        { key: 'failures/u/alice/2', value: '1', ttlSeconds: 30 },
      ],
    )
    expect(failed).toBe(false)
    expect(await backend.list('failures/u/alice/')).toEqual([])
    const left = (await leases()).filter((l) => !before.has(String(l.ID)))
    expect(left).toHaveLength(2)
    const raw = rawClient(single.endpoints)
    for (const { ID } of left) {
      const lease = await raw.leaseClient.leaseTimeToLive({ ID, keys: true })
      expect(lease.keys).toEqual([])
      expect(Number(lease.TTL)).toBeLessThanOrEqual(60)
    }
  }, 30_000)

  it('the watch sees another client’s put and delete under its prefix, and only there', async () => {
    const prefix = randomPrefix()
    const backend = await open({ prefix })
    const seen = recorder()
    const watch = backend.watch('users/', seen.onChange)
    onTestFinished(() => watch.close())
    const other = rawClient(single.endpoints).namespace(prefix)

    await untilWatching(seen, 'users/alice', () => other.put('users/alice').value('{"v":1}').exec())

    await other.put('clients/x').value('outside the watched prefix')
    await other.put('users/bob').value('{}')
    await other.delete().key('users/bob')
    await seen.until(has('users/bob'), 2)
    expect(seen.calls.flat().filter((k) => k !== 'users/alice')).toEqual(['users/bob', 'users/bob'])
  })

  it('a listener that throws is logged, and the watch goes on', async () => {
    const { logger, next } = capturedLogger()
    const backend = await open({ logger })
    const seen = recorder()
    const watch = backend.watch('users/', (keys) => {
      seen.onChange(keys)
      throw new Error('a bug in the listener')
    })
    onTestFinished(() => watch.close())
    const logged = next(/a listener of the etcd watch failed/)
    await untilWatching(seen, 'users/alice', () =>
      backend.commit([], [{ key: 'users/alice', value: '{}' }]),
    )
    await logged
    await backend.commit([], [{ key: 'users/bob', value: '{}' }])
    await seen.until(has('users/bob'))
  })

  it('three members, one stopped: reads and writes go on through the others', async () => {
    const backend = await open({ endpoints: trio.endpoints })
    // The leader: the hardest member to lose, the two left must elect another.
    const ids = await Promise.all(
      trio.endpoints.map(async (e) => (await rawClient([e]).maintenance.status()).header.member_id),
    )
    const { leader } = await rawClient(trio.endpoints).maintenance.status()
    expect(ids).toContain(leader)
    await trio.stopMember(ids.indexOf(leader))
    for (let i = 0; i < 10; i++) {
      const key = `revocations/jti-${i}`
      expect(await backend.commit([{ key, revision: undefined }], [{ key, value: '{}' }])).toBe(
        true,
      )
    }
    expect(await backend.list('revocations/')).toHaveLength(10)
  }, 30_000)

  // Last on `single`: it stops its only member.
  it('every member down: calls reject with StoreUnavailableError; the same backend and its watch recover', async () => {
    const { logger, lines, next } = capturedLogger()
    const prefix = randomPrefix()
    const backend = await open({ prefix, logger, timeoutMs: 1000 })
    const seen = recorder()
    const watch = backend.watch('', seen.onChange)
    onTestFinished(() => watch.close())
    const secret = 'value-never-logged'
    await untilWatching(seen, 'users/alice', () =>
      backend.commit([], [{ key: 'users/alice', value: secret }]),
    )

    const lost = next(/watch on etcd .* is lost/)
    await single.stopMember(0)
    const refused = await backend.get('users/alice').catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(StoreUnavailableError)
    expect(refused).toMatchObject({
      status: 503,
      code: 'ERR_STORE_UNAVAILABLE',
      store: backend.description,
    })
    await expect(backend.commit([], [{ key: 'users/bob', value: '{}' }])).rejects.toBeInstanceOf(
      StoreUnavailableError,
    )
    await expect(backend.list('users/')).rejects.toBeInstanceOf(StoreUnavailableError)
    await lost

    const reload = seen.until((k) => k.length === 0)
    const resumed = next(/watch on etcd .* resumed/)
    await single.startMember(0)
    expect((await backend.get('users/alice'))?.value).toBe(secret)
    await Promise.all([reload, resumed])

    await rawClient(single.endpoints).namespace(prefix).put('users/carol').value('{}')
    await seen.until(has('users/carol'))
    expect(lines.filter((l) => l.includes('is lost'))).toHaveLength(1) // once per outage
    expect(lines.join('\n')).not.toContain(secret)
  }, 60_000)
})
