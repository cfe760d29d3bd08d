import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { ensureDirectory } from '@jwt-factory/files'
import { type Logger } from '@jwt-factory/server'
import { hasDemoPassword } from './demo-users.ts'
import type { UserRecord } from './user-record.ts'
import { readUsersFile, sameVersion, statUsersFile, type FileVersion } from './users-file.ts'

export interface UserStoreOptions {
  file: string
  logger: Logger
  /** Treat users whose password is a documented demo one as locked (a HOST beyond loopback). */
  refuseDemoPasswords: boolean
  /** Roles the policy knows; a user holding another one is reported at load. */
  knownRoles?: ReadonlySet<string>
  /** Reload when the file changes on disk. Off for one-shot readers. */
  watch?: boolean
  /** Called after every successful load, the first one included. */
  onLoad?: (store: UserStore) => void
}

/** Events of one write (temp file, rename) arrive together; one reload serves them all. */
const DEBOUNCE_MS = 30
/** Only when the platform cannot watch the folder (inotify limits, some network filesystems). */
const FALLBACK_POLL_MS = 2000

/**
 * The users of the users file, in memory. The file is re-read only when its inode, size or mtime
 * changed, noticed by watching its folder (an atomic replace is a rename, which a watch on the
 * file itself would lose). A file that turns invalid keeps the last good users and logs a warning.
 */
export class UserStore {
  readonly #options: UserStoreOptions
  #users: ReadonlyMap<string, UserRecord> = new Map()
  #version: FileVersion | undefined
  /** Demo-password checks cost two scrypt runs; a hash, once checked, is not checked again. */
  readonly #demoChecks = new Map<string, boolean>()
  #watcher: FSWatcher | undefined
  #poll: NodeJS.Timeout | undefined
  #debounce: NodeJS.Timeout | undefined
  #refreshing: Promise<boolean> = Promise.resolve(false)

  private constructor(options: UserStoreOptions) {
    this.#options = options
  }

  /** Loads the file (missing: no users). An invalid file at start throws UsersFileError. */
  static async open(options: UserStoreOptions): Promise<UserStore> {
    const store = new UserStore(options)
    await store.#load()
    if (options.watch) await store.#watch()
    return store
  }

  get file(): string {
    return this.#options.file
  }

  get size(): number {
    return this.#users.size
  }

  get(name: string): UserRecord | undefined {
    return this.#users.get(name)
  }

  list(): UserRecord[] {
    return [...this.#users.values()]
  }

  /** Re-reads the file if it changed since the last load; true when it did. One at a time. */
  refresh(): Promise<boolean> {
    this.#refreshing = this.#refreshing.then(() => this.#refreshNow())
    return this.#refreshing
  }

  close(): void {
    this.#watcher?.close()
    clearInterval(this.#poll)
    clearTimeout(this.#debounce)
  }

  async #refreshNow(): Promise<boolean> {
    try {
      if (sameVersion(await statUsersFile(this.file), this.#version)) return false
      await this.#load()
      return true
    } catch (err) {
      this.#options.logger.warn(
        { file: this.file },
        `kept the last good users: ${(err as Error).message}`,
      )
      return false
    }
  }

  async #load(): Promise<void> {
    const { users, version } = await readUsersFile(this.file)
    const loaded = new Map<string, UserRecord>()
    const refused: string[] = []
    for (const user of users) {
      const refuse = this.#options.refuseDemoPasswords && !user.locked
      if (refuse && (await this.#hasDemoPassword(user))) {
        refused.push(user.name)
        loaded.set(user.name, { ...user, locked: true })
      } else {
        loaded.set(user.name, user)
      }
    }
    this.#users = loaded
    this.#version = version
    this.#report(refused)
    this.#options.onLoad?.(this)
  }

  #report(refused: string[]): void {
    const { logger, knownRoles } = this.#options
    if (refused.length > 0) {
      const names = refused.join(', ')
      const why = 'documented demo password on a factory not bound to loopback; treated as locked'
      logger.error({ file: this.file, users: refused.join(' ') }, `refused ${names}: ${why}`)
    }
    for (const user of this.#users.values()) {
      const unknown = knownRoles ? user.roles.filter((r) => !knownRoles.has(r)) : []
      if (unknown.length === 0) continue
      logger.warn(
        { user: user.name },
        `user ${user.name} has roles the policy does not define: ${unknown.join(', ')}`,
      )
    }
    logger.info({ file: this.file, users: this.#users.size }, `loaded ${this.#users.size} user(s)`)
  }

  async #hasDemoPassword(user: UserRecord): Promise<boolean> {
    const key = `${user.password.salt}$${user.password.hash}`
    let result = this.#demoChecks.get(key)
    if (result === undefined) {
      result = await hasDemoPassword(user.password)
      this.#demoChecks.set(key, result)
    }
    return result
  }

  async #watch(): Promise<void> {
    const dir = dirname(this.file)
    const name = basename(this.file)
    await ensureDirectory(dir, 0o700)
    const schedule = () => {
      clearTimeout(this.#debounce)
      this.#debounce = setTimeout(() => void this.refresh(), DEBOUNCE_MS).unref()
    }
    try {
      this.#watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (file === null || file === name) schedule()
      })
      this.#watcher.on('error', (err) => this.#pollInstead(err))
    } catch (err) {
      this.#pollInstead(err as Error)
    }
  }

  #pollInstead(err: Error): void {
    this.#watcher?.close()
    this.#watcher = undefined
    if (this.#poll) return
    const message = `cannot watch ${dirname(this.file)} (${err.message}); polling every ${FALLBACK_POLL_MS / 1000} s`
    this.#options.logger.warn({ file: this.file }, message)
    this.#poll = setInterval(() => void this.refresh(), FALLBACK_POLL_MS).unref()
  }
}
