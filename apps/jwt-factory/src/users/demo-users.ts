import { hashPassword, verifyPassword, type PasswordHash } from './password-hash.ts'
import { silentLogger } from '@jwt-factory/server'
import type { DocumentSource } from '../stores/document-source.ts'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import type { UserRecord, UsersFile } from './user-record.ts'
import { readUsers, updateUsers } from './users-document.ts'
import { USERS_FORMAT } from './users-file.ts'

/**
 * The README's users, so its curls work out of the box. Their passwords are public: a factory
 * that listens beyond loopback treats any user holding one of them as locked.
 */
export const DEMO_USERS = Object.freeze([
  { name: 'admin', password: 'admin-demo-password', roles: ['admin'] },
  { name: 'viewer', password: 'viewer-demo-password', roles: ['viewer'] },
  // Logs in, may do nothing: the README's refused variants (scenario 5, POST /auth).
  { name: 'guest', password: 'guest-demo-password', roles: ['guest'] },
] as const)

export const DEMO_PASSWORDS: readonly string[] = DEMO_USERS.map((u) => u.password)

/** Adds each demo user that is absent; an existing user of that name is left as it is. */
export async function ensureDemoUsers(
  target: string | DocumentSource<UsersFile>,
  now: Date = new Date(),
): Promise<{ created: string[] }> {
  const source =
    typeof target === 'string' ? fileDocumentSource(target, USERS_FORMAT, silentLogger()) : target
  const created: string[] = []
  const current = await readUsers(source)
  // Nothing to add: leave the file (and its mtime, which running factories watch) alone.
  if (DEMO_USERS.every((demo) => current.some((u) => u.name === demo.name))) return { created }
  await updateUsers(source, async (users) => {
    const names = new Set(users.map((u) => u.name))
    for (const demo of DEMO_USERS) {
      if (names.has(demo.name)) continue
      const time = now.toISOString()
      const user: UserRecord = {
        name: demo.name,
        password: await hashPassword(demo.password),
        roles: [...demo.roles],
        locked: false,
        created: time,
        updated: time,
      }
      users.push(user)
      created.push(demo.name)
    }
    return users
  })
  return { created }
}

/** Whether this hash verifies against any documented demo password. */
export async function hasDemoPassword(hash: PasswordHash): Promise<boolean> {
  for (const password of DEMO_PASSWORDS) {
    if (await verifyPassword(password, hash)) return true
  }
  return false
}
