import { mkdirSync, watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from '@jwt-factory/server'
import { debounced } from './debounced.ts'
import type { DocumentSource } from './document-source.ts'
import {
  readJsonFile,
  statJsonFile,
  updateJsonFile,
  type FileVersion,
  type JsonFileFormat,
} from './locked-json-file.ts'

const DEBOUNCE_MS = 30
/** Only when the platform cannot watch the folder (inotify limits, some network filesystems). */
const FALLBACK_POLL_MS = 2000

/** An atomic replace changes the inode; an edit in place the size or mtime. */
const versionOf = (v: FileVersion | undefined) =>
  v === undefined ? undefined : `${v.ino}:${v.size}:${v.mtimeMs}`

/**
 * A document kept in one JSON file (the users, the clients, the revocations file): read and
 * validated whole, changed under the file's lock, written atomically 0600 in a 0700 folder.
 */
export function fileDocumentSource<T>(
  file: string,
  format: JsonFileFormat<T>,
  logger: Logger,
): DocumentSource<T> {
  const read = async () => {
    const { data, version } = await readJsonFile(file, format)
    return { data, version: versionOf(version) }
  }
  const version = async () => versionOf(await statJsonFile(file))
  return {
    where: file,
    read,
    version,
    // A stat first: the file is parsed only when it changed.
    readIfChanged: async (known) => ((await version()) === known ? undefined : read()),
    update: (change) => updateJsonFile(file, format, change),
    watch: (onChange) => watchFile(file, onChange, logger),
  }
}

/**
 * Watches the file's folder, not the file: an atomic replace is a rename, which a watch on the
 * file itself would lose. Polls instead when the folder cannot be watched.
 */
function watchFile(file: string, onChange: () => void, logger: Logger): { close(): void } {
  const dir = dirname(file)
  const name = basename(file)
  const change = debounced(onChange, DEBOUNCE_MS)
  let watcher: FSWatcher | undefined
  let poll: NodeJS.Timeout | undefined
  const pollInstead = (err: Error) => {
    watcher?.close()
    watcher = undefined
    if (poll) return
    const message = `cannot watch ${dir} (${err.message}); polling every ${FALLBACK_POLL_MS / 1000} s`
    logger.warn({ file }, message)
    poll = setInterval(onChange, FALLBACK_POLL_MS).unref()
  }
  try {
    // Synchronously, so a change made right after watch() returns is seen. Created 0700; the
    // mode of a folder that already exists is checked and fixed at the next write.
    mkdirSync(dir, { recursive: true, mode: 0o700 })
    watcher = watch(dir, { persistent: false }, (_event, changed) => {
      if (changed === null || changed === name) change.call()
    })
    watcher.on('error', pollInstead)
  } catch (err) {
    pollInstead(err as Error)
  }
  return {
    close() {
      watcher?.close()
      clearInterval(poll)
      change.cancel()
    },
  }
}
