import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@jwt-factory/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { FileKeyRingSource } from '../keys/file-key-ring-source.ts'
import { KeyStore } from '../keys/key-store.ts'
import { IpcHost } from './ipc-host.ts'
import { IpcKeyRingSource, hostKeyRingSource } from './ipc-key-ring-source.ts'
import { attachTestWorker, closeTestWorkers } from './ipc-test-pair.ts'
import { Turns } from './turns.ts'
import { VersionedKeyRingSource } from './versioned-key-ring-source.ts'

/**
 * The keys folder owned by the primary, two workers' KeyStores on it over the channel: what one
 * changes the other sees, two changes at once make one, and the folder holds what they agreed.
 */
const logger = silentLogger()
const algorithm = 'ES256'
const roots: string[] = []
const stores: KeyStore[] = []
afterEach(async () => {
  stores.splice(0).forEach((s) => s.close())
  closeTestWorkers()
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })))
})

/** Counts the replaces refused as computed from an older ring: what turns avoid. */
class RefusalsCounted extends VersionedKeyRingSource {
  refused = 0
  override async replace(...args: Parameters<VersionedKeyRingSource['replace']>) {
    const result = await super.replace(...args)
    if (!result.ok) this.refused++
    return result
  }
}

async function factory() {
  const root = await mkdtemp(join(tmpdir(), 'ipc-key-ring-'))
  roots.push(root)
  const dir = join(root, 'keys')
  const folder = () => new FileKeyRingSource({ dir, algorithm, logger })
  const host = new IpcHost()
  const versioned = new RefusalsCounted(folder())
  const turns = new Turns()
  hostKeyRingSource(host, 'serviceKeys', versioned, turns)
  let workers = 0
  const worker = async () => {
    const { client } = attachTestWorker(host)
    const source = new IpcKeyRingSource(client, 'serviceKeys', dir, String(++workers))
    const store = await KeyStore.open({ source, algorithm, logger, watch: true })
    stores.push(store)
    return store
  }
  /** The folder as a fresh process would read it. */
  const onDisk = () => KeyStore.open({ source: folder(), algorithm, logger })
  return { worker, onDisk, versioned }
}

describe('KeyRingSource over IPC (a keys folder shared by the workers of one factory)', () => {
  it('a key made and rotated at one worker is at the other (its watch), and in the folder', async () => {
    const { worker, onDisk } = await factory()
    const [a, b] = [await worker(), await worker()]
    const first = (await a.ensure('servicea')).ring.active.kid
    await vi.waitFor(() => expect(b.get('servicea')?.active.kid).toBe(first))
    const second = (await b.rotate('servicea')).active.kid
    await vi.waitFor(() => expect(a.get('servicea')?.active.kid).toBe(second))
    expect([...a.get('servicea')!.keys.keys()].sort()).toEqual([first, second].sort())
    // A worker signs with what it received: the private key crossed whole.
    expect(a.get('servicea')!.active.privatePem).toBe(b.get('servicea')!.active.privatePem)
    const disk = await onDisk()
    expect(disk.get('servicea')?.active.kid).toBe(second)
    expect([...disk.get('servicea')!.keys.keys()].sort()).toEqual([first, second].sort())
  })

  it('two rotations at once, at two workers, make one new key; two first keys at once make one', async () => {
    const { worker, onDisk } = await factory()
    const [a, b] = [await worker(), await worker()]
    const [made1, made2] = await Promise.all([a.ensure('servicea'), b.ensure('servicea')])
    expect(made1.ring.active.kid).toBe(made2.ring.active.kid)
    expect([made1.created, made2.created].sort()).toEqual([false, true])
    await vi.waitFor(() => expect(b.get('servicea')).toBeDefined())
    const [r1, r2] = await Promise.all([a.rotate('servicea'), b.rotate('servicea')])
    expect(r1.active.kid).toBe(r2.active.kid)
    expect(r1.keys.size).toBe(2)
    expect((await onDisk()).get('servicea')?.keys.size).toBe(2)
  })

  it('many changes at once at two workers take turns: every one is answered, none refused as a conflict', async () => {
    const { worker, onDisk, versioned } = await factory()
    const [a, b] = [await worker(), await worker()]
    await a.ensure('servicea')
    const changes = Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).rotate('servicea'))
    const rings = await Promise.all(changes) // a ConflictError (409) would reject this
    // Each change computed from the ring as stored: none had to be computed again.
    expect(versioned.refused).toBe(0)
    const kids = new Set(rings.map((r) => r.active.kid))
    expect(a.get('servicea')?.keys.size).toBe(kids.size + 1)
    expect((await onDisk()).get('servicea')?.keys.size).toBe(kids.size + 1)
  })

  it('a replace computed from an older version is refused with the ring stored now', async () => {
    const { worker, versioned } = await factory()
    const a = await worker()
    await a.ensure('servicea')
    const stored = await versioned.load('servicea')
    const next = { active: stored!.active, previous: [] }
    const stale = await versioned.replace('servicea', 'not-the-version', next, stored)
    expect(stale).toEqual({ ok: false, current: stored })
  })

  it('a change is answered once every worker holds it: the next request finds it anywhere', async () => {
    const { worker } = await factory()
    const [a, b, c] = [await worker(), await worker(), await worker()]
    const { ring } = await a.ensure('servicea')
    expect(b.get('servicea')?.active.kid).toBe(ring.active.kid)
    expect(c.get('servicea')?.active.kid).toBe(ring.active.kid)
    const rotated = await c.rotate('servicea')
    expect(a.get('servicea')?.active.kid).toBe(rotated.active.kid)
    expect(await b.remove('servicea')).toBe(true)
    expect(a.get('servicea')).toBeUndefined()
    expect(c.get('servicea')).toBeUndefined()
  })
})
