import { randomBytes } from 'node:crypto'
import { localKeys, signToken, verifyToken, type SigningKey } from '@jwt-factory/jwt'
import { recordingLogger } from '@jwt-factory/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { waitFor } from '../../../../scripts/etcd/wait-for.ts'
import { openEtcdBackend } from '../stores/etcd/etcd-backend.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
  randomPrefix,
  startTestEtcd,
  type TestEtcd,
} from '../stores/etcd/etcd-test-cluster.ts'
import type { KvBackend } from '../stores/kv/kv-backend.ts'
import { KEK_BYTES, SealedBox } from '../stores/kv/sealed-box.ts'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import { KeyStore, UNKNOWN_KID_COOLDOWN_MS } from './key-store.ts'
import { KvKeyRingSource } from './kv-key-ring-source.ts'

const TITLE = etcdSuiteTitle('KeyStore on etcd: several factories, one set of keys')

const lines: string[] = []
const logger = recordingLogger((line) => lines.push(line))
const box = new SealedBox(randomBytes(KEK_BYTES))
const algorithm = 'ES256'

const backends: KvBackend[] = []
const stores: KeyStore[] = []

async function openBackend(endpoints: string[], prefix: string, timeoutMs = 5000) {
  const backend = await openEtcdBackend({ endpoints, prefix, timeoutMs, logger })
  backends.push(backend)
  return backend
}
async function openStore(backend: KvBackend, watch = true, now?: () => Date) {
  const source = new KvKeyRingSource({ backend, namespace: 'keys', box, logger })
  const store = await KeyStore.open({ source, algorithm, logger, watch, ...(now ? { now } : {}) })
  stores.push(store)
  return store
}
/** `count` factories (a backend and a watching KeyStore each) on one fresh prefix. */
async function factories(endpoints: string[], count: number) {
  const prefix = randomPrefix()
  const opened: KeyStore[] = []
  for (let i = 0; i < count; i++) opened.push(await openStore(await openBackend(endpoints, prefix)))
  // Watches start in the background: each factory rotates a probe keyId of its own until every
  // other has it, which only a live watch can have told them.
  for (const [i, writer] of opened.entries()) {
    await waitFor(
      async () => {
        await writer.rotate(`probe${i}`)
        return opened.every((s) => s.get(`probe${i}`) !== undefined)
      },
      'every factory watches',
      10_000,
    )
  }
  return opened
}
const kidsOf = (store: KeyStore, keyId: string) => [...(store.get(keyId)?.keys.keys() ?? [])].sort()
const changesWithin = async (store: KeyStore, keyId: string, kid: string) => {
  const started = performance.now()
  await waitFor(() => store.get(keyId)?.active.kid === kid, `${keyId} reaches ${kid}`, 10_000)
  return performance.now() - started
}

/** A one-member etcd for the suite; every store and backend it opened closed after it. */
function withEtcd(): () => TestEtcd {
  let etcd: TestEtcd | undefined
  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
  }, 60_000)
  afterAll(async () => {
    stores.splice(0).forEach((s) => s.close())
    await Promise.all(backends.splice(0).map((b) => b.close()))
    await etcd?.stop()
  })
  return () => etcd!
}

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  const etcd = withEtcd()

  it('a key made at one factory signs tokens that verify at the other, which also serves it in its JWKS', async () => {
    const [a, b] = await factories(etcd().endpoints, 2)
    const { ring, created } = await a!.ensure('servicea')
    expect(created).toBe(true)
    await changesWithin(b!, 'servicea', ring.active.kid)
    expect((await b!.ensure('servicea')).created).toBe(false)

    const claims = { iss: 'https://factory.test', sub: 'servicea', aud: 'serviceb' }
    const { token } = await signToken(ring.active, claims, { ttlSeconds: 60 })
    const atB = localKeys((kid) => b!.lookup('servicea', kid))
    const verified = await verifyToken(token, atB, { issuer: claims.iss, audience: claims.aud })
    expect(verified).toMatchObject({ valid: true })
    expect(b!.jwks().keys.map((k) => k.kid)).toContain(ring.active.kid)
  })

  it('a rotation at one factory reaches the other through the watch: its lookup and its JWKS', async () => {
    const [a, b] = await factories(etcd().endpoints, 2)
    const old = (await a!.ensure('servicea')).ring.active.kid
    await changesWithin(b!, 'servicea', old)
    const jwksBefore = b!.jwks()

    const rotated = (await a!.rotate('servicea')).active.kid
    const ms = await changesWithin(b!, 'servicea', rotated)
    console.info(`a rotation at one factory reached the other in ${ms.toFixed(0)} ms`)
    expect(b!.jwks()).not.toBe(jwksBefore)
    expect(b!.jwks().keys.map((k) => k.kid)).toEqual(expect.arrayContaining([old, rotated]))
    expect(kidsOf(b!, 'servicea')).toEqual([old, rotated].sort())

    expect(await a!.retire('servicea', old)).toBe(true)
    await waitFor(() => !b!.lookup('servicea', old), 'the retired kid leaves B', 10_000)
    expect(await a!.remove('servicea')).toBe(true)
    await waitFor(() => !b!.get('servicea'), 'the removed keyId leaves B', 10_000)
  })

  it('two rotations at once at two factories make exactly one new active key, and both answers name it', async () => {
    const [a, b] = await factories(etcd().endpoints, 2)
    const old = (await a!.ensure('servicea')).ring.active.kid
    await changesWithin(b!, 'servicea', old)
    for (let round = 0; round < 5; round++) {
      const before = a!.get('servicea')!.active.kid
      await changesWithin(b!, 'servicea', before)
      const [atA, atB] = await Promise.all([a!.rotate('servicea'), b!.rotate('servicea')])
      expect(atA.active.kid, `round ${round}`).toBe(atB.active.kid)
      expect(atA.active.kid).not.toBe(before)
      // The stored ring: every earlier key and the one new key, nothing else.
      const stored = await openStore(backends.at(-1)!, false)
      expect(kidsOf(stored, 'servicea')).toEqual(kidsOf(a!, 'servicea'))
      expect(kidsOf(stored, 'servicea')).toEqual(kidsOf(b!, 'servicea'))
      expect(kidsOf(stored, 'servicea')).toHaveLength(round + 2)
      expect(stored.get('servicea')?.active.kid).toBe(atA.active.kid)
    }
  })

  it('a rotation at a factory whose memory is behind (no watch) makes a new key on the stored ring, never hands back an older one', async () => {
    const prefix = randomPrefix()
    const a = await openStore(await openBackend(etcd().endpoints, prefix))
    // Asked later than anything a did, on a clock of its own: its rotation comes after a's.
    const later = () => new Date(Date.now() + 60_000)
    const b = await openStore(await openBackend(etcd().endpoints, prefix), false, later)
    const first = (await a.ensure('servicea')).ring.active.kid
    expect((await b.ensure('servicea')).ring.active.kid).toBe(first)
    const second = (await a.rotate('servicea')).active.kid
    expect(b.get('servicea')?.active.kid).toBe(first) // behind: no watch told it
    const third = (await b.rotate('servicea')).active.kid
    expect([first, second]).not.toContain(third)
    expect(kidsOf(b, 'servicea')).toEqual([first, second, third].sort())
    await changesWithin(a, 'servicea', third)
  })

  it('a token signed with a key made at another factory a moment ago verifies before the watch brings it: its kid is read from the store, at most once a second', async () => {
    const prefix = randomPrefix()
    const a = await openStore(await openBackend(etcd().endpoints, prefix))
    let now = Date.now()
    const clock = () => new Date(now)
    // No watch: b stays behind, as any factory is between a's write and the watch's event.
    const b = await openStore(await openBackend(etcd().endpoints, prefix), false, clock)
    const claims = { iss: 'https://factory.test', sub: 'servicea', aud: 'serviceb' }
    const expected = { issuer: claims.iss, audience: claims.aud, subject: claims.sub }
    const tokenOf = async (key: SigningKey) =>
      (await signToken(key, claims, { ttlSeconds: 60 })).token
    const first = (await a.ensure('servicea')).ring.active
    expect((await b.ensure('servicea')).ring.active.kid).toBe(first.kid)
    const atB = b.keySource('servicea', "servicea's keys at b")

    const second = (await a.rotate('servicea')).active
    expect(b.lookup('servicea', second.kid)).toBeUndefined()
    expect(await verifyToken(await tokenOf(second), atB, expected)).toMatchObject({ valid: true })
    expect(b.get('servicea')?.active.kid).toBe(second.kid) // read whole, the new active key too

    const third = (await a.rotate('servicea')).active
    const refused = await verifyToken(await tokenOf(third), atB, expected)
    expect(refused).toMatchObject({ valid: false, error: { code: 'ERR_JWKS_NO_MATCHING_KEY' } })
    now += UNKNOWN_KID_COOLDOWN_MS
    expect(await verifyToken(await tokenOf(third), atB, expected)).toMatchObject({ valid: true })
    // A kid nobody made is refused, after its one read.
    const forged = await tokenOf({ ...third, kid: 'made-up' })
    now += UNKNOWN_KID_COOLDOWN_MS
    expect(await verifyToken(forged, atB, expected)).toMatchObject({ valid: false })
  })

  it('ensure racing at two factories makes one key', async () => {
    const [a, b] = await factories(etcd().endpoints, 2)
    const results = await Promise.all([
      a!.ensure('servicea'),
      b!.ensure('servicea'),
      a!.ensure('servicea'),
      b!.ensure('servicea'),
    ])
    expect(new Set(results.map((r) => r.ring.active.kid)).size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
    expect(kidsOf(a!, 'servicea')).toHaveLength(1)
    expect(kidsOf(b!, 'servicea')).toHaveLength(1)
  })

  it('skips a stored ring it cannot use, serves the others, and never writes over it', async () => {
    const prefix = randomPrefix()
    const backend = await openBackend(etcd().endpoints, prefix)
    const writer = await openStore(backend, false)
    await writer.ensure('good')
    const otherKek = new KvKeyRingSource({
      backend,
      namespace: 'keys',
      box: new SealedBox(randomBytes(KEK_BYTES)),
      logger,
    })
    const elsewhere = await KeyStore.open({ source: otherKek, algorithm, logger })
    await elsewhere.ensure('sealedelsewhere')
    await backend.commit([], [{ key: 'keys/corrupt', value: '{"version":1,' }])
    const before = await backend.list('keys/')

    const store = await openStore(backend)
    expect(store.keyIds()).toEqual(['good'])
    await expect(store.ensure('corrupt')).rejects.toThrow(
      /keys\/corrupt is stored but cannot be used/,
    )
    await expect(store.rotate('sealedelsewhere')).rejects.toThrow(/cannot be used/)
    expect(await backend.list('keys/')).toEqual(before)
  })
})

describe.skipIf(!ETCD_AVAILABLE)(`${TITLE}: etcd down`, () => {
  const etcd = withEtcd()

  it(
    'fault: etcd stopped → the keys in memory keep serving, a rotation is a 503 naming the store that changes nothing; etcd back → rotations work and reach the other factory',
    { timeout: 60_000 },
    async () => {
      const prefix = randomPrefix()
      const [a, b] = [
        await openStore(await openBackend(etcd().endpoints, prefix, 1000)),
        await openStore(await openBackend(etcd().endpoints, prefix, 1000)),
      ]
      const old = (await a.ensure('servicea')).ring.active.kid
      await waitFor(() => b.get('servicea')?.active.kid === old, 'B has the key', 10_000)

      await etcd().stopMember(0)
      const refused = await a.rotate('servicea').catch((err: unknown) => err)
      expect(refused).toBeInstanceOf(StoreUnavailableError)
      expect(refused).toMatchObject({ status: 503, code: 'ERR_STORE_UNAVAILABLE' })
      expect((refused as Error).message).toContain(etcd().endpoints[0])
      expect(a.get('servicea')?.active.kid).toBe(old)
      expect(a.lookup('servicea', old)).toBeDefined()
      expect(a.jwks().keys.map((k) => k.kid)).toEqual([old])

      await etcd().startMember(0)
      // The first calls after the restart may still meet the reconnecting client.
      let rotated: string | undefined
      await waitFor(
        async () => {
          rotated = await a.rotate('servicea').then(
            (ring) => ring.active.kid,
            () => undefined,
          )
          return rotated !== undefined
        },
        'a rotation once etcd is back',
        30_000,
      )
      await waitFor(() => b.get('servicea')?.active.kid === rotated, 'B has the new key', 30_000)
      expect(kidsOf(b, 'servicea')).toEqual(kidsOf(a, 'servicea'))
      expect(kidsOf(a, 'servicea')).toContain(old)
    },
  )
})
