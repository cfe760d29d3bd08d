import { randomBytes } from 'node:crypto'
import { generateSigningKey, type SigningKey } from '@jwt-factory/jwt'
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
import { KvKeyRingSource } from './kv-key-ring-source.ts'

const TITLE = etcdSuiteTitle('key rings in etcd (KvKeyRingSource)')

let etcd: TestEtcd | undefined
const backends: KvBackend[] = []
const lines: string[] = []
const logger = recordingLogger((line) => lines.push(line))
const warningsAbout = (key: string) =>
  lines
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => l.level === 40 && l.key === key)

const box = new SealedBox(randomBytes(KEK_BYTES))

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
const rings = (backend: KvBackend, namespace: 'keys' | 'user-keys' = 'keys', kek = box) =>
  new KvKeyRingSource({ backend, namespace, box: kek, logger })
/** A ring where the source has none yet. */
const create = (
  source: KvKeyRingSource,
  keyId: string,
  active: SigningKey,
  previous: SigningKey[] = [],
) => source.replace(keyId, undefined, { active, previous })
const kidsOf = (ring: { active: SigningKey; previous: SigningKey[] } | undefined) =>
  ring && { active: ring.active.kid, previous: ring.previous.map((k) => k.kid) }
/**
 * A watch starts in the background: a probe is written until the watcher has seen one, so the
 * change under test is surely made while it watches.
 */
async function untilWatching(writer: KvBackend, changed: readonly (string | undefined)[]) {
  await waitFor(
    async () => {
      await writer.commit([], [{ key: 'keys/probe', value: 'probe' }])
      return changed.includes('probe')
    },
    'the watch sees a probe',
    10_000,
  )
}
/** The PEM's base64 body: what a leaked private key would look like in a dump. */
const pemBody = (key: SigningKey) => key.privatePem.split('\n')[1]!

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  let first: SigningKey
  let second: SigningKey
  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
    ;[first, second] = await Promise.all([generateSigningKey('ES256'), generateSigningKey('RS256')])
  }, 60_000)

  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()))
    await etcd?.stop()
  })

  it('stores one record per keyId with every private key sealed: no PEM in any raw value, and the ring loads at another factory', async () => {
    const [a, b] = await backendsOnOnePrefix(2)
    const written = await create(rings(a!), 'servicea', second, [first])
    expect(written).toEqual({ ok: true, version: expect.any(String) })

    const raw = await a!.list('keys/')
    expect(raw.map((e) => e.key)).toEqual(['keys/servicea'])
    for (const { value } of raw) {
      expect(value).not.toContain('PRIVATE KEY')
      expect(value).not.toContain(pemBody(first))
      expect(value).not.toContain(pemBody(second))
    }
    const record = JSON.parse(raw[0]!.value) as Record<string, any>
    expect(record).toMatchObject({ version: 1, keyId: 'servicea', active: second.kid })
    expect(record.keys).toEqual([
      { kid: first.kid, alg: 'ES256', publicPem: first.publicPem, privatePem: expect.any(String) },
      {
        kid: second.kid,
        alg: 'RS256',
        publicPem: second.publicPem,
        privatePem: expect.any(String),
      },
    ])
    for (const key of record.keys) expect(key.privatePem).toMatch(/^sealed:v1:/)

    const loaded = (await rings(b!).loadAll()).get('servicea')
    expect(kidsOf(loaded)).toEqual({ active: second.kid, previous: [first.kid] })
    expect(loaded?.version).toBe(written.ok && written.version)
    expect(loaded?.active.privatePem).toBe(second.privatePem)
    expect(loaded?.active.alg).toBe('RS256')
  })

  it('writes only on the expected revision: a stale one is refused with the ring stored now', async () => {
    const [a, b] = await backendsOnOnePrefix(2)
    const atA = rings(a!)
    const atB = rings(b!)
    const created = await create(atA, 'servicea', first)
    if (!created.ok) throw new Error('the first write must land')
    // B computed from "no ring" too: it loses, and is told what A stored.
    const late = await create(atB, 'servicea', second)
    expect(late.ok).toBe(false)
    expect(!late.ok && kidsOf(late.current)).toEqual({ active: first.kid, previous: [] })

    const rotated = await atB.replace('servicea', created.version, {
      active: second,
      previous: [first],
    })
    // A's revision is gone now: its change is refused, not laid over B's.
    const stale = await atA.replace('servicea', created.version, undefined)
    expect(stale.ok).toBe(false)
    expect(!stale.ok && kidsOf(stale.current)).toEqual({
      active: second.kid,
      previous: [first.kid],
    })

    if (!rotated.ok) throw new Error('the rotation on the current revision must land')
    expect((await atB.replace('servicea', rotated.version, undefined)).ok).toBe(true)
    expect(await atA.load('servicea')).toBeUndefined()
  })

  it('reports a corrupt, foreign, moved or otherwise sealed record by its key, never its value, and loads the rings beside it', async () => {
    const [backend] = await backendsOnOnePrefix(1)
    const source = rings(backend!)
    await create(source, 'good', first)
    const good = (await backend!.get('keys/good'))!.value
    const otherKek = new SealedBox(randomBytes(KEK_BYTES))
    await create(rings(backend!, 'keys', otherKek), 'otherkek', second)
    const renamed = good.replace('"keyId":"good"', '"keyId":"moved"')
    const raw: Record<string, string> = {
      'keys/notjson': '{"version":1,"keyId":"notjson", sealed:v1:cut',
      'keys/foreign': JSON.stringify({ kind: 'something else', secret: 'do-not-log-me' }),
      'keys/copied': good, // names keyId "good"
      'keys/moved': renamed, // names its key, but sealed for keys/good
      'keys/bad..id': good,
    }
    await backend!.commit(
      [],
      Object.entries(raw).map(([key, value]) => ({ key, value })),
    )

    expect([...(await source.loadAll()).keys()]).toEqual(['good'])
    const reasons: Record<string, RegExp> = {
      'keys/notjson': /not JSON/,
      'keys/foreign': /not a version 1 key ring record/,
      'keys/copied': /names keyId "good"/,
      'keys/moved': /cannot be opened with this key-encryption key/,
      'keys/bad..id': /not a valid keyId/,
      'keys/otherkek': /cannot be opened with this key-encryption key/,
    }
    for (const [key, reason] of Object.entries(reasons)) {
      const [warning, ...more] = warningsAbout(key)
      expect(more, key).toEqual([])
      expect(String(warning?.msg), key).toMatch(new RegExp(`^skipped ${key}: `))
      expect(String(warning?.msg), key).toMatch(reason)
    }
    const logged = lines.join('\n')
    expect(logged).not.toContain('sealed:v1')
    expect(logged).not.toContain('do-not-log-me')

    // Asked for by keyId (a watch, a lost race), an unusable record is an error, not "no ring".
    await expect(source.load('otherkek')).rejects.toThrow(
      /keys\/otherkek is stored but cannot be used/,
    )
  })

  it("keeps the user key apart: user-keys/ and keys/ never see each other's rings", async () => {
    const [backend] = await backendsOnOnePrefix(1)
    await create(rings(backend!, 'user-keys'), 'users', first)
    await create(rings(backend!, 'keys'), 'servicea', second)
    expect([...(await rings(backend!, 'user-keys').loadAll()).keys()]).toEqual(['users'])
    expect([...(await rings(backend!, 'keys').loadAll()).keys()]).toEqual(['servicea'])
    expect((await backend!.list('user-keys/')).map((e) => e.key)).toEqual(['user-keys/users'])
  })

  it('tells a watcher which keyId another factory changed', async () => {
    const [a, b] = await backendsOnOnePrefix(2)
    const changed: (string | undefined)[] = []
    const watch = rings(b!).watch((keyId) => changed.push(keyId))
    try {
      await untilWatching(a!, changed)
      await create(rings(a!), 'servicea', first)
      await waitFor(() => changed.includes('servicea'), 'the watch names servicea', 10_000)
      // First a reload of everything once the watch is live (undefined), then what changed.
      expect(changed[0]).toBeUndefined()
      expect(new Set(changed)).toEqual(new Set([undefined, 'probe', 'servicea']))
    } finally {
      watch.close()
    }
  })
})
