import { isDeepStrictEqual } from 'node:util'
import type { DocumentSource } from '../stores/document-source.ts'
import type { JsonFileFormat } from '../stores/locked-json-file.ts'
import type { IpcClient } from './ipc-client.ts'
import type { IpcCall, IpcHost } from './ipc-host.ts'

/** A worker's change computed from a document that changed meanwhile: computed again. */
const ATTEMPTS = 5

type UpdateResult<T> = { written: T } | { changed: true }

interface Snapshot<T> {
  data: T
  version: string | undefined
}

/**
 * The primary serves a document (its file, under the file's lock) to the workers. A worker's
 * change is computed in the worker; the primary writes its result only if the document is still
 * the one it was computed from, inside the file's own locked update, so a CLI edit in between is
 * never overwritten. What a worker wrote is delivered to every worker before the writer is
 * answered (a revocation holds at once, wherever the next request goes); the file's watch tells
 * them of every other change (a CLI run).
 */
export function hostDocumentSource<T>(host: IpcHost, name: string, source: DocumentSource<T>) {
  host.handle(`${name}.read`, () => source.read())
  host.handle(`${name}.version`, () => source.version())
  host.handle(`${name}.readIfChanged`, (known: string | undefined) => source.readIfChanged(known))
  host.handle(`${name}.updateFrom`, async function (this: IpcCall, base: T, next: T): Promise<
    UpdateResult<T>
  > {
    const changed = new Error('the document changed since the worker read it')
    let written: T
    try {
      // Thrown inside the update, so the lock is let go with nothing written.
      written = await source.update((current) => {
        if (!isDeepStrictEqual(current, base)) throw changed
        return next
      })
    } catch (err) {
      if (err === changed) return { changed: true }
      throw err
    }
    // Read back whole: data and version of one moment, even if a CLI wrote right after.
    const now: Snapshot<T> = await source.read()
    await host.deliver(`${name}.change`, now, this.caller) // the writer last, as for keys
    return { written }
  })
  return source.watch(() => host.publish(`${name}.change`))
}

/**
 * A worker's document, kept by the primary; errors are the format's own (UsersFileError…). The
 * document last delivered answers readIfChanged without asking, until the next change is told.
 */
export function ipcDocumentSource<T>(
  client: IpcClient,
  name: string,
  where: string,
  format: JsonFileFormat<T>,
): DocumentSource<T> {
  const remake = (file: string, problems: readonly string[]) => format.error(file, problems)
  const call = <R>(method: string, ...args: unknown[]) =>
    client.call<R>(`${name}.${method}`, args, remake)
  const read = () => call<Snapshot<T>>('read')
  let delivered: Snapshot<T> | undefined
  const listeners = new Set<() => void>()
  client.subscribe<Snapshot<T> | undefined>(`${name}.change`, (snapshot) => {
    delivered = snapshot
    for (const listener of listeners) listener()
  })
  return {
    where,
    read,
    version: () => call<string | undefined>('version'),
    async readIfChanged(known) {
      if (delivered === undefined) return call<Snapshot<T> | undefined>('readIfChanged', known)
      return delivered.version === known ? undefined : structuredClone(delivered)
    },
    async update(change) {
      for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
        const { data } = await read()
        const base = structuredClone(data) // `change` may change what it is given
        const result = await call<UpdateResult<T>>('updateFrom', base, await change(data))
        if ('written' in result) return result.written
      }
      throw format.error(where, [
        `changed by another writer during each of ${ATTEMPTS} attempts: try again`,
      ])
    },
    watch(onChange) {
      listeners.add(onChange)
      return { close: () => listeners.delete(onChange) }
    },
  }
}
