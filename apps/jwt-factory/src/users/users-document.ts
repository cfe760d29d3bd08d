import type { DocumentSource } from '../stores/document-source.ts'
import type { UserRecord, UsersFile } from './user-record.ts'
import { usersFileOf } from './users-file.ts'

/** The users wherever they live (the users file or etcd), as the CLI and the demo users use them. */
export async function readUsers(source: DocumentSource<UsersFile>): Promise<UserRecord[]> {
  return (await source.read()).data.users
}

/** Read, change, write, atomic against every other writer; each user handed over as a copy. */
export async function updateUsers(
  source: DocumentSource<UsersFile>,
  change: (users: UserRecord[]) => UserRecord[] | Promise<UserRecord[]>,
): Promise<UserRecord[]> {
  const written = await source.update(async ({ users }) =>
    usersFileOf(await change(users.map((u) => ({ ...u, roles: [...u.roles] })))),
  )
  return written.users
}
