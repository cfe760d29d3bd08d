import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@jwt-factory/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import { REVOCATIONS_FORMAT, RevocationsFileError } from './revocations-file.ts'
import { RevocationStore } from './revocations.ts'

let dir: string
let file: string
/** Seconds since the epoch of the stores' clock; tests move it instead of waiting. */
let nowSeconds: number
const KEEP = 30

const now = () => new Date(nowSeconds * 1000)
const source = () => fileDocumentSource(file, REVOCATIONS_FORMAT, silentLogger())
const open = () =>
  RevocationStore.open({ source: source(), logger: silentLogger(), now, keepSeconds: KEEP })

const onDisk = async () => JSON.parse(await readFile(file, 'utf8')) as { revoked: unknown[] }

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'revocations-'))
  file = join(dir, 'data', 'revocations.json')
  nowSeconds = 2_000_000_000
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('RevocationStore', () => {
  it('starts empty without a file, and writes none until something is revoked', async () => {
    const store = await open()
    expect(store.isRevoked('a')).toBe(false)
    expect(await readdir(dir)).toEqual([])
  })

  it('revokes at once, writes the file 0600 in a 0700 folder, and a new store still sees it', async () => {
    const store = await open()
    await store.revoke('jti-1', nowSeconds + 600)
    expect(store.isRevoked('jti-1')).toBe(true)
    expect(store.isRevoked('jti-2')).toBe(false)
    expect(await onDisk()).toEqual({
      version: 1,
      revoked: [{ jti: 'jti-1', exp: nowSeconds + 600 }],
    })
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700)
    // Only the file itself: no lock or temporary file left beside it.
    expect(await readdir(join(dir, 'data'))).toEqual(['revocations.json'])
    expect((await open()).isRevoked('jti-1')).toBe(true)
  })

  it('is asked with whatever a token carries: a jti that is no string is never revoked', async () => {
    const store = await open()
    await store.revoke('1', nowSeconds + 600)
    for (const jti of [undefined, 1, null, ['1'], { $ne: null }]) {
      expect(store.isRevoked(jti)).toBe(false)
    }
  })

  it('drops entries once their token is past exp and the clock tolerance, at the next write', async () => {
    const store = await open()
    await store.revoke('old', nowSeconds + 10)
    await store.revoke('tolerated', nowSeconds + 60)
    nowSeconds += 60 + KEEP // 'old' is past exp + tolerance; 'tolerated' ends exactly now
    expect(store.isRevoked('tolerated')).toBe(true)
    await store.revoke('new', nowSeconds + 600)
    expect(await onDisk()).toEqual({
      version: 1,
      revoked: [
        { jti: 'tolerated', exp: nowSeconds - KEEP },
        { jti: 'new', exp: nowSeconds + 600 },
      ],
    })
    expect(store.isRevoked('old')).toBe(false)
    expect(store.isRevoked('tolerated')).toBe(true)
  })

  it('two stores on one file: both revocations land, and each sees the other after its own write', async () => {
    const [a, b] = await Promise.all([open(), open()])
    await Promise.all([a.revoke('from-a', nowSeconds + 600), b.revoke('from-b', nowSeconds + 600)])
    const jtis = (await onDisk()).revoked.map((r) => (r as { jti: string }).jti)
    expect(jtis.sort()).toEqual(['from-a', 'from-b'])
    await a.revoke('again-a', nowSeconds + 600)
    expect(a.isRevoked('from-b')).toBe(true)
    expect((await open()).isRevoked('from-a')).toBe(true)
  })

  it("takes in another process's revocation when the file changes, and never forgets its own", async () => {
    const [a, b] = await Promise.all([open(), open()])
    await a.revoke('mine', nowSeconds + 600)
    await b.revoke('theirs', nowSeconds + 600) // b's write drops nothing a holds
    expect(a.isRevoked('theirs')).toBe(false)
    expect(await a.refresh()).toBe(true)
    expect(a.isRevoked('theirs')).toBe(true)
    expect(a.isRevoked('mine')).toBe(true)
  })

  it('a watching store sees a revocation written by another one without being asked', async () => {
    const watching = await RevocationStore.open({
      source: source(),
      logger: silentLogger(),
      now,
      keepSeconds: KEEP,
      watch: true,
    })
    try {
      const seen = new Promise<void>((resolve) => {
        const check = () => (watching.isRevoked('elsewhere') ? resolve() : setImmediate(check))
        check()
      })
      await (await open()).revoke('elsewhere', nowSeconds + 600)
      await seen
    } finally {
      watching.close()
    }
  })

  it('refuses to start on a file that is not a revocations file, naming the file, not the content', async () => {
    await open().then((s) => s.revoke('x', nowSeconds + 600))
    await writeFile(file, '{"version":1,"revoked":[{"jti":"secret-looking","exp":"soon"}]}')
    const err = await open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(RevocationsFileError)
    expect((err as Error).message).toContain(file)
    expect((err as Error).message).not.toContain('secret-looking')
  })
})
