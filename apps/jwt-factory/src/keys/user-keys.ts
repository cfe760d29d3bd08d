import type { Jwks, KeySource, SigningKey, VerificationKey } from '@jwt-factory/jwt'
import { KeyStore, type KeyStoreOptions } from './key-store.ts'

/** The one keyId in the user key's store. */
export const USER_KEY_ID = 'users'

/**
 * The factory's own key for user tokens: a KeyStore of its own on a source of its own (the user
 * key folder, or `user-keys/` in etcd), so no /issueToken or /verify call can reach it; an admin
 * manages it at /keys/users (rotate, retire). The key is made when users exist, so a factory
 * that has no users publishes no user key; one made earlier is loaded at start and still
 * verifies live tokens.
 */
export class UserKeys {
  readonly #store: KeyStore

  private constructor(store: KeyStore) {
    this.#store = store
  }

  static async open(options: KeyStoreOptions): Promise<UserKeys> {
    return new UserKeys(await KeyStore.open(options))
  }

  /** The active user key, made (and stored, private key 0600 or sealed) on first use. */
  async signingKey(): Promise<SigningKey> {
    return (await this.#store.ensure(USER_KEY_ID)).ring.active
  }

  /**
   * The user key's store, for key management (GET, POST and DELETE /keys/users): the same
   * ensure, rotate and retire as a service's keys, on the keyId `users` alone.
   */
  store(): KeyStore {
    return this.#store
  }

  /** The user key for verifyToken (KeyStore.keySource: a kid made at another factory is read). */
  keySource(): KeySource {
    return this.#store.keySource(USER_KEY_ID, 'the user key')
  }

  lookup(kid: string | undefined): VerificationKey | undefined {
    return this.#store.lookup(USER_KEY_ID, kid)
  }

  /** The same object until the keys change, so a merged JWKS can tell when to rebuild. */
  jwks(): Jwks {
    return this.#store.jwks()
  }

  close(): void {
    this.#store.close()
  }
}
