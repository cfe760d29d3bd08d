import {
  readJsonFile,
  updateJsonFile,
  writeJsonFile,
  type FileVersion,
  type JsonFileFormat,
} from '../stores/locked-json-file.ts'
import {
  USERS_FILE_VERSION,
  usersFileSchema,
  type UserRecord,
  type UsersFile,
} from './user-record.ts'

/** The users file could not be read or is not a valid users file. Never quotes the content. */
export class UsersFileError extends Error {
  override name = 'UsersFileError'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`${file}: ${problems.join('; ')}`, options)
  }
}

export interface UsersSnapshot {
  users: UserRecord[]
  /** Undefined when the file does not exist (no users yet). */
  version: FileVersion | undefined
}

export const USERS_FORMAT: JsonFileFormat<UsersFile> = {
  schema: usersFileSchema,
  empty: () => ({ version: USERS_FILE_VERSION, users: [] }),
  error: (file, problems, options) => new UsersFileError(file, problems, options),
}

/** The users as the document holds them: sorted by name. */
export const usersFileOf = (users: readonly UserRecord[]): UsersFile => ({
  version: USERS_FILE_VERSION,
  users: [...users].sort((a, b) => a.name.localeCompare(b.name)),
})

/** Reads and validates the file; missing is an empty store. */
export async function readUsersFile(file: string): Promise<UsersSnapshot> {
  const { data, version } = await readJsonFile(file, USERS_FORMAT)
  return { users: data.users, version }
}

/** Atomically, mode 0600: the file holds password hashes and TOTP secrets. */
export async function writeUsersFile(file: string, users: readonly UserRecord[]): Promise<void> {
  await writeJsonFile(file, usersFileOf(users))
}

/**
 * Read, change, write under the file's lock (two `npm run users` runs both land). The change gets
 * a copy of the current users and returns the new list, validated before writing.
 */
export async function updateUsersFile(
  file: string,
  change: (users: UserRecord[]) => UserRecord[] | Promise<UserRecord[]>,
): Promise<UserRecord[]> {
  const written = await updateJsonFile(file, USERS_FORMAT, async ({ users }) =>
    usersFileOf(await change(users.map((u) => ({ ...u, roles: [...u.roles] })))),
  )
  return written.users
}
