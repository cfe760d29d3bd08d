import {
  chmod,
  chown,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  writeFile,
} from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ensureDirectory, isAtomicTempFile, syncDirectory, writeFileAtomic } from './atomic-file.ts'

let dir: string

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'atomic-file-test-'))
})

afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const modeOf = async (path: string) => (await stat(path)).mode & 0o777

describe('writeFileAtomic', () => {
  it('writes the content with mode 0600 exactly', async () => {
    const path = join(dir, 'key.pem')
    await writeFileAtomic(path, 'secret\n', { mode: 0o600 })
    expect(await readFile(path, 'utf8')).toBe('secret\n')
    expect(await modeOf(path)).toBe(0o600)
    expect(await readdir(dir)).toEqual(['key.pem'])
  })

  it('writes bytes as given', async () => {
    const path = join(dir, 'bytes.bin')
    const bytes = new Uint8Array([0, 255, 10, 13, 0])
    await writeFileAtomic(path, bytes, { mode: 0o600 })
    expect(new Uint8Array(await readFile(path))).toEqual(bytes)
  })

  it('overwriting replaces the content and keeps mode 0600, leaving no temp file', async () => {
    const path = join(dir, 'users.json')
    await writeFileAtomic(path, 'a much longer first version', { mode: 0o600 })
    const first = await stat(path)
    await writeFileAtomic(path, 'v2', { mode: 0o600 })
    expect(await readFile(path, 'utf8')).toBe('v2')
    expect(await modeOf(path)).toBe(0o600)
    // replaced by rename, not written in place: a reader never sees a half-written file
    expect((await stat(path)).ino).not.toBe(first.ino)
    expect(await readdir(dir)).toEqual(['users.json'])
  })

  it('narrows a world-readable file to the mode given', async () => {
    const path = join(dir, 'was-public')
    await writeFile(path, 'old')
    await chmod(path, 0o644)
    await writeFileAtomic(path, 'new', { mode: 0o600 })
    expect(await modeOf(path)).toBe(0o600)
  })

  it('sets the mode exactly whatever the umask', async () => {
    const previous = process.umask(0o077)
    try {
      const path = join(dir, 'public.pem')
      await writeFileAtomic(path, 'x', { mode: 0o644 })
      expect(await modeOf(path)).toBe(0o644)
    } finally {
      process.umask(previous)
    }
  })

  it('many concurrent writes leave one complete version and no temp files', async () => {
    const path = join(dir, 'state.json')
    const versions = Array.from({ length: 20 }, (_, i) => `${i}:${String(i).repeat(5000)}`)
    await Promise.all(versions.map((v) => writeFileAtomic(path, v, { mode: 0o600 })))
    expect(versions).toContain(await readFile(path, 'utf8'))
    expect(await readdir(dir)).toEqual(['state.json'])
  })

  it('fails when the folder does not exist, leaving nothing behind', async () => {
    const path = join(dir, 'missing', 'file')
    const write = writeFileAtomic(path, 'x', { mode: 0o600 })
    await expect(write).rejects.toMatchObject({ code: 'ENOENT' })
    expect(await readdir(dir)).toEqual([])
  })

  it('when the rename fails (the target is a folder), removes its temp file', async () => {
    const path = join(dir, 'taken')
    await mkdir(path)
    await expect(writeFileAtomic(path, 'x', { mode: 0o600 })).rejects.toThrow()
    expect(await readdir(dir)).toEqual(['taken'])
  })

  it('its temp files are recognised by isAtomicTempFile', async () => {
    // the name is not observable from outside, so check the documented shape
    expect(isAtomicTempFile('.key.pem.0123456789ab.tmp')).toBe(true)
    expect(isAtomicTempFile('key.pem')).toBe(false)
    expect(isAtomicTempFile('.env')).toBe(false)
    expect(isAtomicTempFile('backup.tmp')).toBe(false)
  })
})

describe('ensureDirectory', () => {
  it('makes a folder and its parents with mode 0700', async () => {
    const path = join(dir, 'a', 'b', 'keys')
    await ensureDirectory(path, 0o700)
    expect((await stat(path)).isDirectory()).toBe(true)
    expect(await modeOf(path)).toBe(0o700)
    expect(await modeOf(join(dir, 'a'))).toBe(0o700)
  })

  it('narrows an existing 0755 folder (as git makes keys/) to 0700, keeping its files', async () => {
    const path = join(dir, 'existing')
    await mkdir(path)
    await chmod(path, 0o755)
    await writeFile(join(path, '.gitkeep'), '')
    await ensureDirectory(path, 0o700)
    expect(await modeOf(path)).toBe(0o700)
    expect(await readdir(path)).toEqual(['.gitkeep'])
    await ensureDirectory(path, 0o700)
    expect(await modeOf(path)).toBe(0o700)
  })

  it('narrows only the folder itself, not its parents', async () => {
    const parent = join(dir, 'repo')
    await mkdir(join(parent, 'keys'), { recursive: true })
    await chmod(parent, 0o755)
    await chmod(join(parent, 'keys'), 0o755)
    await ensureDirectory(join(parent, 'keys'), 0o700)
    expect(await modeOf(join(parent, 'keys'))).toBe(0o700)
    expect(await modeOf(parent)).toBe(0o755)
  })

  it('only removes permission bits, never adds them', async () => {
    const path = join(dir, 'odd')
    await mkdir(path)
    await chmod(path, 0o711)
    await ensureDirectory(path, 0o750)
    expect(await modeOf(path)).toBe(0o710) // others lose x; the group keeps x and gains no r
    await chmod(path, 0o500)
    await ensureDirectory(path, 0o700)
    expect(await modeOf(path)).toBe(0o500)
  })

  // Only root can give a folder to another user.
  const root = process.getuid?.() === 0
  const NOBODY = 65534

  it.runIf(root)('refuses, naming the owner, an open folder owned by another user', async () => {
    const path = join(dir, 'theirs')
    await mkdir(path)
    await chmod(path, 0o755)
    await chown(path, NOBODY, NOBODY)
    await expect(ensureDirectory(path, 0o700)).rejects.toThrow(
      `${path} is mode 0755 and owned by uid ${NOBODY}, not by this process (uid 0)`,
    )
    expect(await modeOf(path)).toBe(0o755)
  })

  it.runIf(root)('accepts a folder owned by another user that is already private', async () => {
    const path = join(dir, 'theirs-private')
    await mkdir(path)
    await chmod(path, 0o700)
    await chown(path, NOBODY, NOBODY)
    await ensureDirectory(path, 0o700)
    expect(await modeOf(path)).toBe(0o700)
  })

  it('fails when a file is in the way', async () => {
    const path = join(dir, 'file')
    await writeFile(path, 'x')
    await expect(ensureDirectory(path, 0o700)).rejects.toMatchObject({ code: 'EEXIST' })
  })
})

describe('syncDirectory', () => {
  it('syncs an existing folder and fails on a missing one', async () => {
    await expect(syncDirectory(dir)).resolves.toBeUndefined()
    await expect(syncDirectory(join(dir, 'nope'))).rejects.toMatchObject({ code: 'ENOENT' })
  })
})
