import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { generateSigningKey } from '@jwt-factory/jwt'
import { recordingLogger } from '@jwt-factory/server'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { hashPassword } from '../users/password-hash.ts'
import type { ClientPublicJwk } from './client-record.ts'
import { ClientStore } from './client-store.ts'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import { CLIENTS_FORMAT, ClientsFileError, updateClientsFile } from './clients-file.ts'

let dir: string
let file: string
let lines: string[]
const stores: ClientStore[] = []
const createdAt = new Date(0).toISOString()

const open = async (watch = false) => {
  const logger = recordingLogger((line) => lines.push(line))
  const source = fileDocumentSource(file, CLIENTS_FORMAT, logger)
  const store = await ClientStore.open({ source, logger, watch })
  stores.push(store)
  return store
}

/** Resolves once `check` holds, looked at after every turn of the event loop: no fixed delay. */
function eventually(check: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const look = () => (check() ? resolve() : setImmediate(look))
    look()
  })
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jwt-factory-clients-'))
  file = join(dir, 'data', 'clients.json')
  lines = []
})

afterEach(async () => {
  for (const store of stores.splice(0)) store.close()
  await rm(dir, { recursive: true, force: true })
})

describe('the client store', () => {
  it('reads a missing file as no clients, and refuses an invalid one at start', async () => {
    expect((await open()).size).toBe(0)
    await updateClientsFile(file, () => [])
    await writeFile(file, '{"version":1,"clients":[{"name":"x"}]}')
    await expect(open()).rejects.toThrow(ClientsFileError)
  })

  it("imports a client's keys once, at load, under their registered kid and alg", async () => {
    const key = await generateSigningKey('PS256')
    const jwk = { ...key.publicJwk, kid: 'my-own-kid' } as ClientPublicJwk
    await updateClientsFile(file, () => [{ name: 'signer', keys: [jwk], createdAt }])
    const loaded = (await open()).get('signer')!
    expect(loaded.record.keys).toEqual([jwk])
    expect(loaded.keys.map((k) => [k.kid, k.alg])).toEqual([['my-own-kid', 'PS256']])
    expect(loaded.keys[0]!.publicJwk.n).toBe(key.publicJwk.n)
  })

  it('sees a client added by another process without being asked (watch), and keeps the last good clients when the file breaks', async () => {
    const store = await open(true)
    const secret = await hashPassword('a-secret-of-sixteen', { N: 1024, r: 8, p: 1, keyLength: 32 })
    await updateClientsFile(file, () => [{ name: 'servicea', secret, createdAt }])
    await eventually(() => store.get('servicea') !== undefined)
    await writeFile(file, 'not json')
    await eventually(() => lines.some((l) => l.includes('kept the last good clients')))
    expect(store.get('servicea')?.record.secret).toEqual(secret)
    expect(lines.join('\n')).not.toContain(secret.hash)
  })
})
