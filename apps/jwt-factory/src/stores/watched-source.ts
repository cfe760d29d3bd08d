import type { Logger } from '@jwt-factory/server'
import type { DocumentSource } from './document-source.ts'

export interface WatchedSourceOptions<T> {
  source: DocumentSource<T>
  logger: Logger
  /** Takes the document in; throwing keeps the last good content. */
  load: (data: T) => void | Promise<void>
  /** What the document holds, for the warning when a reload fails: "users", "clients". */
  holds: string
  /** Reload when the document changes, whoever changed it. Off for one-shot readers. */
  watch?: boolean
}

/**
 * A document a store keeps in memory (the users, the clients, the revocations), on either
 * backend. It is read again only when its version changed, noticed by the source's watch or
 * asked for with refresh(). A document that turns invalid keeps the last good content and logs a
 * warning; at open, the source's own error is thrown.
 */
export class WatchedSource<T> {
  readonly #options: WatchedSourceOptions<T>
  #version: string | undefined
  #watch: { close(): void } | undefined
  #refreshing: Promise<boolean> = Promise.resolve(false)

  private constructor(options: WatchedSourceOptions<T>) {
    this.#options = options
  }

  /** Loads the document once (its error is thrown), then watches it if asked. */
  static async open<T>(options: WatchedSourceOptions<T>): Promise<WatchedSource<T>> {
    const watched = new WatchedSource(options)
    const { data, version } = await options.source.read()
    await options.load(data)
    watched.#version = version
    if (options.watch) watched.#watch = options.source.watch(() => void watched.refresh())
    return watched
  }

  get where(): string {
    return this.#options.source.where
  }

  /** Re-reads the document if it changed since the last load; true when it did. One at a time. */
  refresh(): Promise<boolean> {
    this.#refreshing = this.#refreshing.then(() => this.#refreshNow())
    return this.#refreshing
  }

  close(): void {
    this.#watch?.close()
  }

  async #refreshNow(): Promise<boolean> {
    const { source, logger, load, holds } = this.#options
    try {
      const changed = await source.readIfChanged(this.#version)
      if (changed === undefined) return false
      const { data, version } = changed
      await load(data)
      this.#version = version
      return true
    } catch (err) {
      logger.warn({ where: source.where }, `kept the last good ${holds}: ${(err as Error).message}`)
      return false
    }
  }
}
