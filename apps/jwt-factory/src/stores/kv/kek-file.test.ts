import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@jwt-factory/server'
import { afterEach, describe, expect, it } from 'vitest'
import { openKekFile } from './kek-file.ts'
import { SealedBoxError } from './sealed-box.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true })
})
async function tempFile(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kek-'))
  dirs.push(dir)
  return join(dir, 'secrets', 'store.kek')
}
const logger = silentLogger()

describe('STORE_KEK_FILE', () => {
  it('is made 0600 in a 0700 folder when missing and asked to, and opens what it sealed', async () => {
    const file = await tempFile()
    const box = await openKekFile(file, logger, { create: true })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(file, '..'))).mode & 0o777).toBe(0o700)
    const again = await openKekFile(file, logger, { create: false })
    expect(again.open(box.seal('secret', 'keys/a#1'), 'keys/a#1')).toBe('secret')
  })

  it('is one key for factories that start at the same moment', async () => {
    const file = await tempFile()
    const boxes = await Promise.all(
      Array.from({ length: 6 }, () => openKekFile(file, logger, { create: true })),
    )
    const sealed = boxes[0]!.seal('private key', 'keys/servicea#k1')
    for (const box of boxes) expect(box.open(sealed, 'keys/servicea#k1')).toBe('private key')
  })

  it('missing and not to be made: the start stops naming STORE_KEK_FILE', async () => {
    const file = await tempFile()
    await expect(openKekFile(file, logger, { create: false })).rejects.toThrow(
      /STORE_KEK_FILE: .*store\.kek: missing/,
    )
  })

  it.each([
    ['too short', Buffer.alloc(16).toString('base64')],
    ['not base64', 'not a key at all, just words\n'],
  ])('%s: refused, naming the variable and never quoting the content', async (_, content) => {
    const file = await tempFile()
    await openKekFile(file, logger, { create: true }) // makes the folder
    await writeFile(file, content)
    const err = await openKekFile(file, logger, { create: false }).catch((e: Error) => e)
    expect((err as Error).message).toMatch(/STORE_KEK_FILE: .*must hold 32 bytes in base64/)
    expect((err as Error).message).not.toContain(content.trim())
  })

  it('attack: a value sealed for one key does not open under another key or another context', async () => {
    const box = await openKekFile(await tempFile(), logger, { create: true })
    const other = await openKekFile(await tempFile(), logger, { create: true })
    const sealed = box.seal('-----BEGIN PRIVATE KEY-----', 'keys/servicea#k1')
    expect(() => other.open(sealed, 'keys/servicea#k1')).toThrow(SealedBoxError)
    // Copied by someone with write access to etcd onto another keyId: refused, not used.
    expect(() => box.open(sealed, 'keys/serviceb#k1')).toThrow(SealedBoxError)
    expect(sealed).not.toContain('PRIVATE')
    // Two deployments on one cluster and one key (ETCD_PREFIX apart) cannot swap sealed values.
    const file = await tempFile()
    const prod = await openKekFile(file, logger, { create: true, scope: 'prod/' })
    const staging = await openKekFile(file, logger, { create: false, scope: 'staging/' })
    const moved = prod.seal('totp secret', 'users/alice#totp')
    expect(prod.open(moved, 'users/alice#totp')).toBe('totp secret')
    expect(() => staging.open(moved, 'users/alice#totp')).toThrow(SealedBoxError)
  })
})
