import { createHash, timingSafeEqual } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { ConfigError } from '@jwt-factory/config'
import { type Logger } from '@jwt-factory/server'
import type { FactoryConfig } from '../config.ts'
import { adminTokenSchema } from './admin-token.ts'

/** The admin credential, holding only a digest of the token. */
export interface AdminCredential {
  /** Whether `presented` is the admin token, in time independent of where they differ. */
  matches(presented: string): boolean
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest()

/**
 * Both sides are hashed first: timingSafeEqual needs equal lengths, and comparing digests hides
 * the token's length as well as its content from a client timing the answers.
 */
export function createAdminCredential(token: string): AdminCredential {
  if (!adminTokenSchema.safeParse(token).success)
    throw new TypeError('createAdminCredential: not a valid admin token')
  const expected = digest(token)
  return { matches: (presented) => timingSafeEqual(digest(presented), expected) }
}

/**
 * The admin token from ADMIN_TOKEN, or read from ADMIN_TOKEN_FILE (its first line), or undefined
 * when neither is set. A file that cannot be read or holds no valid token is a ConfigError naming
 * ADMIN_TOKEN_FILE and the file, never its content.
 */
export async function readAdminToken(
  config: FactoryConfig,
  logger?: Logger,
): Promise<string | undefined> {
  if (config.adminTokenFile === undefined) return config.adminToken
  const file = config.adminTokenFile
  const fail = (problem: string) =>
    new ConfigError('apps/jwt-factory/.env', [`ADMIN_TOKEN_FILE: ${file} ${problem}`])
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    throw fail(`cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const token = text.split(/\r?\n/, 1)[0]!.trim()
  const checked = adminTokenSchema.safeParse(token)
  if (!checked.success)
    throw fail(`holds no valid admin token: it ${checked.error.issues[0]!.message}`)
  // Kubernetes mounts secrets 0644 by default, so a wide mode is worth a warning, not a refusal.
  const mode = (await stat(file)).mode & 0o777
  if (mode & 0o077)
    logger?.warn(
      { file },
      `ADMIN_TOKEN_FILE ${file} is readable by other users (mode ${mode.toString(8)}): chmod 600 it`,
    )
  return token
}
