import { access } from 'node:fs/promises'
import type { Jwks, SigningKey, VerificationKey } from '@jwt-factory/jwt'
import { FileKeyStore, type FileKeyStoreOptions } from './file-key-store.ts'

/** The one keyId in the user key folder. */
export const USER_KEY_ID = 'users'
const NO_KEYS: Jwks = Object.freeze({ keys: [] }) as Jwks

/**
 * The factory's own key for user tokens: a FileKeyStore of its own on its own folder, so no
 * /issueToken or /verify call can reach it; an admin manages it at /keys/users (rotate, retire).
 * The folder is opened at start when it exists (its keys still verify live tokens); otherwise
 * the key is made when users exist, so a factory that has no users publishes no user key.
 */
export class UserKeys {
  readonly #options: FileKeyStoreOptions
  #store: FileKeyStore | undefined
  #opening: Promise<FileKeyStore> | undefined

  private constructor(options: FileKeyStoreOptions) {
    this.#options = options
  }

  static async open(options: FileKeyStoreOptions): Promise<UserKeys> {
    const keys = new UserKeys(options)
    const exists = await access(options.dir).then(
      () => true,
      () => false,
    )
    if (exists) await keys.#open()
    return keys
  }

  /** The active user key, made (and written, 0600) on first use. */
  async signingKey(): Promise<SigningKey> {
    const store = await this.#open()
    return (await store.ensure(USER_KEY_ID)).ring.active
  }

  /**
   * The user key folder's store, for key management (GET, POST and DELETE /keys/users): the
   * same ensure, rotate and retire as a service's keys, on the keyId `users` alone.
   */
  store(): Promise<FileKeyStore> {
    return this.#open()
  }

  lookup(kid: string | undefined): VerificationKey | undefined {
    return this.#store?.lookup(USER_KEY_ID, kid)
  }

  /** The same object until the keys change, so a merged JWKS can tell when to rebuild. */
  jwks(): Jwks {
    return this.#store?.jwks() ?? NO_KEYS
  }

  #open(): Promise<FileKeyStore> {
    this.#opening ??= FileKeyStore.open(this.#options).then((store) => (this.#store = store))
    return this.#opening
  }
}
