import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { verifyPassword } from '../users/password-hash.ts'
import { readClientsFile, updateClientsFile } from './clients-file.ts'
import { ensureDemoClients } from './demo-clients.ts'

let dir: string
let clientsFile: string
let secretsDir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwt-factory-demo-clients-'))
  clientsFile = join(dir, 'data', 'clients.json')
  secretsDir = join(dir, 'data', 'client-secrets')
})
afterEach(() => rm(dir, { recursive: true, force: true }))

const secretOf = async (name: string) => (await readFile(join(secretsDir, name), 'utf8')).trim()
const mode = async (path: string) => (await stat(path)).mode & 0o777

describe('ensureDemoClients', () => {
  it('registers servicea/b/c, each secret random, in its own 0600 file, only its hash stored', async () => {
    const { created } = await ensureDemoClients(clientsFile, secretsDir)
    expect(created).toEqual(['servicea', 'serviceb', 'servicec'])
    expect(await mode(secretsDir)).toBe(0o700)
    const clients = await readClientsFile(clientsFile)
    const secrets = new Set<string>()
    for (const client of clients) {
      const secret = await secretOf(client.name)
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/) // 32 random bytes, base64url
      expect(await mode(join(secretsDir, client.name))).toBe(0o600)
      expect(await verifyPassword(secret, client.secret!)).toBe(true)
      expect(JSON.stringify(client)).not.toContain(secret)
      secrets.add(secret)
    }
    expect(secrets.size).toBe(3)
  })

  it('leaves an existing client and its secret file alone, and the clients file untouched when none is missing', async () => {
    await ensureDemoClients(clientsFile, secretsDir)
    const before = await secretOf('serviceb')
    const mtime = (await stat(clientsFile)).mtimeMs
    expect((await ensureDemoClients(clientsFile, secretsDir)).created).toEqual([])
    expect(await secretOf('serviceb')).toBe(before)
    expect((await stat(clientsFile)).mtimeMs).toBe(mtime)
  })

  it('adds only a missing one (its stale secret file replaced); the others keep their secrets', async () => {
    await ensureDemoClients(clientsFile, secretsDir)
    const kept = await secretOf('servicea')
    await updateClientsFile(clientsFile, (clients) => clients.filter((c) => c.name !== 'servicec'))
    await writeFile(join(secretsDir, 'servicec'), 'stale\n')
    expect((await ensureDemoClients(clientsFile, secretsDir)).created).toEqual(['servicec'])
    expect(await secretOf('servicea')).toBe(kept)
    const servicec = (await readClientsFile(clientsFile)).find((c) => c.name === 'servicec')!
    expect(await verifyPassword(await secretOf('servicec'), servicec.secret!)).toBe(true)
  })
})
