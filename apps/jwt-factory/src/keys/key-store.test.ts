import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { silentLogger } from '@jwt-factory/server'
import { FileKeyRingSource } from './file-key-ring-source.ts'
import { KeyStore } from './key-store.ts'

const roots: string[] = []
afterEach(async () => {
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })))
})

const logger = silentLogger()
const algorithm = 'ES256'
const keysDir = async () => {
  const root = await mkdtemp(join(tmpdir(), 'key-store-'))
  roots.push(root)
  return join(root, 'keys')
}
const open = (dir: string) =>
  KeyStore.open({ source: new FileKeyRingSource({ dir, algorithm, logger }), algorithm, logger })
const mode = async (path: string) => (await stat(path)).mode & 0o777
const filesUnder = async (dir: string) =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort()

describe('KeyStore on the keys folder', () => {
  it('loads a missing folder as no keys without making it; the first key makes it 0700, the private key 0600', async () => {
    const dir = await keysDir()
    const store = await open(dir)
    expect(store.keyIds()).toEqual([])
    await expect(stat(dir)).rejects.toMatchObject({ code: 'ENOENT' })

    const { created } = await store.ensure('servicea')
    expect(created).toBe(true)
    expect(await mode(dir)).toBe(0o700)
    expect(await mode(join(dir, 'servicea-private.pem'))).toBe(0o600)
  })

  it('keeps the files in step with each change: rotate moves the old key to previous/, retire and remove delete files', async () => {
    const dir = await keysDir()
    const store = await open(dir)
    const first = (await store.ensure('servicea')).ring.active.kid
    const second = (await store.rotate('servicea')).active.kid
    expect(await filesUnder(dir)).toEqual([
      `previous/servicea/${first}-private.pem`,
      `previous/servicea/${first}-public.pem`,
      'servicea-private.pem',
      'servicea-public.pem',
    ])
    const reopened = await open(dir)
    expect(reopened.get('servicea')?.active.kid).toBe(second)
    expect([...(reopened.get('servicea')?.keys.keys() ?? [])].sort()).toEqual(
      [first, second].sort(),
    )

    expect(await store.retire('servicea', first)).toBe(true)
    expect(await filesUnder(dir)).toEqual(['servicea-private.pem', 'servicea-public.pem'])
    expect(await store.remove('servicea')).toBe(true)
    expect(await filesUnder(dir)).toEqual([])
    expect((await open(dir)).keyIds()).toEqual([])
  })

  it('makes one key for concurrent ensures of a new keyId', async () => {
    const store = await open(await keysDir())
    const results = await Promise.all(Array.from({ length: 8 }, () => store.ensure('servicea')))
    expect(new Set(results.map((r) => r.ring.active.kid)).size).toBe(1)
    expect(results.filter((r) => r.created)).toHaveLength(1)
  })

  it('dump rewrites every key, a removed public file and an earlier key included', async () => {
    const dir = await keysDir()
    const store = await open(dir)
    const first = (await store.ensure('servicea')).ring.active.kid
    await store.rotate('servicea')
    const written = await filesUnder(dir)
    await rm(join(dir, 'servicea-public.pem'))
    await rm(join(dir, 'previous', 'servicea', `${first}-private.pem`))
    expect(await store.dump()).toEqual(['servicea'])
    expect(await filesUnder(dir)).toEqual(written)
  })

  it('removes the leftovers of a write killed half-way when it loads', async () => {
    const dir = await keysDir()
    await (await open(dir)).ensure('servicea')
    await writeFile(join(dir, '.servicea-private.pem.0123456789ab.tmp'), 'half a key')
    expect((await open(dir)).keyIds()).toEqual(['servicea'])
    expect(await filesUnder(dir)).toEqual(['servicea-private.pem', 'servicea-public.pem'])
  })
})
