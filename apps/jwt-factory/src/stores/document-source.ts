/**
 * Where one of the factory's documents lives (the users, the clients, the revocations): a JSON
 * file (file-document-source.ts) or records in a KvBackend (kv/kv-document-source.ts). The stores
 * that keep a document in memory (UserStore, ClientStore, RevocationStore) and the CLIs that
 * change it see only this, so each works on either backend.
 */
export interface DocumentSource<T> {
  /** Names where it lives, in logs and errors: a file path, or `etcd …/users/`. */
  readonly where: string
  /** The document now, and its version. Content that cannot be used throws the format's error. */
  read(): Promise<{ data: T; version: string | undefined }>
  /** The version alone, for the cheap "did it change?" check; undefined when nothing is stored. */
  version(): Promise<string | undefined>
  /** read(), unless the version is still `known` (then undefined): one look at the store. */
  readIfChanged(
    known: string | undefined,
  ): Promise<{ data: T; version: string | undefined } | undefined>
  /**
   * Read, change, write, atomic against every other writer of the same store (another CLI run,
   * another factory): both changes land, neither overwrites the other. The result is validated
   * before it is written. Returns what was written.
   */
  update(change: (data: T) => T | Promise<T>): Promise<T>
  /** Calls onChange soon after the document changed, whoever changed it. */
  watch(onChange: () => void): { close(): void }
}
