import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { ensureDirectory, writeFileAtomic } from '@jwt-factory/files'
import { hashPassword } from '../users/password-hash.ts'
import type { ClientRecord } from './client-record.ts'
import { readClientsFile, updateClientsFile } from './clients-file.ts'

/** The demo's services, each an OAuth client of its own name (scenario 6's token exchanges). */
const DEMO_CLIENTS = Object.freeze(['servicea', 'serviceb', 'servicec'] as const)

/** 256 bits from the system's generator: a secret nobody types, so nothing to guess. */
const SECRET_BYTES = 32

/**
 * Registers each demo client that is absent with a new random secret: the secret goes to
 * `secretsDir/<name>` (0600 in a 0700 folder, written atomically) for that service to read, only
 * its scrypt hash into the clients file. An existing client, and its secret file, are left as they
 * are: a restart must not change the credentials running services hold.
 */
export async function ensureDemoClients(
  clientsFile: string,
  secretsDir: string,
  now: Date = new Date(),
): Promise<{ created: string[] }> {
  const existing = new Set((await readClientsFile(clientsFile)).map((c) => c.name))
  const missing = DEMO_CLIENTS.filter((name) => !existing.has(name))
  // Nothing to add: leave the file (and its mtime, which a running factory watches) alone.
  if (missing.length === 0) return { created: [] }
  await ensureDirectory(secretsDir, 0o700)
  const created: string[] = []
  await updateClientsFile(clientsFile, async (clients) => {
    for (const name of missing) {
      if (clients.some((c) => c.name === name)) continue // added meanwhile by someone else
      const secret = randomBytes(SECRET_BYTES).toString('base64url')
      // The secret file first: a client in the file whose secret was never written is unusable.
      await writeFileAtomic(join(secretsDir, name), `${secret}\n`, { mode: 0o600 })
      const client: ClientRecord = {
        name,
        secret: await hashPassword(secret),
        createdAt: now.toISOString(),
      }
      clients.push(client)
      created.push(name)
    }
    return clients
  })
  return { created }
}
