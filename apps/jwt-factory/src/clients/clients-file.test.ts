import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashPassword, type PasswordHash } from '../users/password-hash.ts'
import type { ClientRecord } from './client-record.ts'
import { ClientsFileError, readClientsFile, updateClientsFile } from './clients-file.ts'

let dir: string
let file: string
/** One cheap hash for every client here: these tests are about the file, not scrypt. */
let secret: PasswordHash

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clients-file-'))
  file = join(dir, 'data', 'clients.json')
  secret ??= await hashPassword('a-client-secret-0123', { N: 2 ** 10, r: 8, p: 1, keyLength: 32 })
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const client = (name: string): ClientRecord => ({
  name,
  secret,
  createdAt: new Date(0).toISOString(),
})

describe('the clients file', () => {
  it('is no clients while missing, then written mode 0600 in a 0700 folder, sorted by name', async () => {
    expect(await readClientsFile(file)).toEqual([])
    await updateClientsFile(file, (clients) => [...clients, client('serviceb'), client('servicea')])
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect((await stat(join(dir, 'data'))).mode & 0o777).toBe(0o700)
    expect((await readClientsFile(file)).map((c) => c.name)).toEqual(['servicea', 'serviceb'])
  })

  it('keeps every change of 12 concurrent writers (the file lock)', async () => {
    const names = Array.from({ length: 12 }, (_, i) => `client-${String(i).padStart(2, '0')}`)
    await Promise.all(
      names.map((n) => updateClientsFile(file, (clients) => [...clients, client(n)])),
    )
    expect((await readClientsFile(file)).map((c) => c.name)).toEqual(names)
  })

  it('refuses to write a client with both a secret and keys, a reserved name, or a duplicate', async () => {
    const key = {
      kty: 'OKP',
      crv: 'Ed25519',
      x: 'AAAA',
      kid: 'k',
      alg: 'EdDSA',
      use: 'sig',
    } as const
    const bad: ClientRecord[][] = [
      [{ ...client('a'), keys: [key] }],
      [{ name: 'b', createdAt: new Date(0).toISOString() }],
      [client('users')],
      [client('../x')],
      [client('a'), client('a')],
    ]
    for (const clients of bad) {
      await expect(updateClientsFile(file, () => clients)).rejects.toThrow(ClientsFileError)
    }
    await expect(stat(file)).rejects.toThrow(/ENOENT/)
  })

  it('names a broken file without quoting it', async () => {
    await updateClientsFile(file, () => [client('a')])
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.replace('"scrypt"', '"md5"'))
    const err = await readClientsFile(file).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientsFileError)
    expect((err as Error).message).toContain('clients.0.secret.algorithm')
    expect((err as Error).message).not.toContain(secret.hash)
  })
})
