import { type Logger } from '@jwt-factory/server'
import type { DocumentSource } from '../stores/document-source.ts'
import { WatchedSource } from '../stores/watched-source.ts'
import { hasDemoPassword } from './demo-users.ts'
import type { UserRecord, UsersFile } from './user-record.ts'

export interface UserStoreOptions {
  /** The users file, or the users in etcd (stores/factory-store.ts). */
  source: DocumentSource<UsersFile>
  logger: Logger
  /** Treat users whose password is a documented demo one as locked (a HOST beyond loopback). */
  refuseDemoPasswords: boolean
  /** Roles the policy knows; a user holding another one is reported at load. */
  knownRoles?: ReadonlySet<string>
  /** Reload when the users change, whoever changed them. Off for one-shot readers. */
  watch?: boolean
  /** Called after every successful load, the first one included. */
  onLoad?: (store: UserStore) => void
}

/**
 * The users, in memory, kept current by a WatchedSource: re-read when they change, the last good
 * users kept (and a warning logged) when they turn invalid.
 */
export class UserStore {
  readonly #options: UserStoreOptions
  #users: ReadonlyMap<string, UserRecord> = new Map()
  #watched: WatchedSource<UsersFile> | undefined
  /** Demo-password checks cost two scrypt runs; a hash, once checked, is not checked again. */
  readonly #demoChecks = new Map<string, boolean>()

  private constructor(options: UserStoreOptions) {
    this.#options = options
  }

  /** Loads the users (none stored: no users). Invalid ones at start throw UsersFileError. */
  static async open(options: UserStoreOptions): Promise<UserStore> {
    const store = new UserStore(options)
    const { source, logger, watch } = options
    const load = (data: UsersFile) => store.#load(data)
    store.#watched = await WatchedSource.open({
      source,
      logger,
      load,
      holds: 'users',
      watch: !!watch,
    })
    return store
  }

  get where(): string {
    return this.#options.source.where
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

  /** Re-reads the users if they changed since the last load; true when they did. One at a time. */
  refresh(): Promise<boolean> {
    return this.#watched?.refresh() ?? Promise.resolve(false)
  }

  close(): void {
    this.#watched?.close()
  }

  async #load({ users }: UsersFile): Promise<void> {
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
    this.#report(refused)
    this.#options.onLoad?.(this)
  }

  #report(refused: string[]): void {
    const { logger, knownRoles } = this.#options
    if (refused.length > 0) {
      const names = refused.join(', ')
      const why = 'documented demo password on a factory not bound to loopback; treated as locked'
      logger.error({ where: this.where, users: refused.join(' ') }, `refused ${names}: ${why}`)
    }
    for (const user of this.#users.values()) {
      const unknown = knownRoles ? user.roles.filter((r) => !knownRoles.has(r)) : []
      if (unknown.length === 0) continue
      logger.warn(
        { user: user.name },
        `user ${user.name} has roles the policy does not define: ${unknown.join(', ')}`,
      )
    }
    logger.info(
      { where: this.where, users: this.#users.size },
      `loaded ${this.#users.size} user(s)`,
    )
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
}
