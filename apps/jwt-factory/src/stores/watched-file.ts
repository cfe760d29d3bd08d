import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import { ensureDirectory } from '@jwt-factory/files'
import type { Logger } from '@jwt-factory/server'
import { sameVersion, statJsonFile, type FileVersion } from './locked-json-file.ts'

export interface WatchedFileOptions {
  file: string
  logger: Logger
  /** Reads the file and takes its content in (throwing keeps the last good content); its version. */
  load: () => Promise<FileVersion | undefined>
  /** What the file holds, for the warning when a reload fails: "users", "clients". */
  holds: string
  /** Reload when the file changes on disk. Off for one-shot readers. */
  watch?: boolean
}

/** Events of one write (temp file, rename) arrive together; one reload serves them all. */
const DEBOUNCE_MS = 30
/** Only when the platform cannot watch the folder (inotify limits, some network filesystems). */
const FALLBACK_POLL_MS = 2000

/**
 * A file a store keeps in memory (the users file, the clients file). It is re-read only when its
 * inode, size or mtime changed, noticed by watching its folder (an atomic replace is a rename,
 * which a watch on the file itself would lose). A file that turns invalid keeps the last good
 * content and logs a warning; at start, the store's own error is thrown.
 */
export class WatchedFile {
  readonly #options: WatchedFileOptions
  #version: FileVersion | undefined
  #watcher: FSWatcher | undefined
  #poll: NodeJS.Timeout | undefined
  #debounce: NodeJS.Timeout | undefined
  #refreshing: Promise<boolean> = Promise.resolve(false)

  private constructor(options: WatchedFileOptions) {
    this.#options = options
  }

  /** Loads the file once (its error is thrown), then watches it if asked. */
  static async open(options: WatchedFileOptions): Promise<WatchedFile> {
    const file = new WatchedFile(options)
    file.#version = await options.load()
    if (options.watch) await file.#watch()
    return file
  }

  get file(): string {
    return this.#options.file
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
    const { file, logger, load, holds } = this.#options
    try {
      if (sameVersion(await statJsonFile(file), this.#version)) return false
      this.#version = await load()
      return true
    } catch (err) {
      logger.warn({ file }, `kept the last good ${holds}: ${(err as Error).message}`)
      return false
    }
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
