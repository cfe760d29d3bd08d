import { isDeepStrictEqual } from 'node:util'
import type { DocumentSource } from '../stores/document-source.ts'
import type { JsonFileFormat } from '../stores/locked-json-file.ts'
import type { IpcClient } from './ipc-client.ts'
import type { IpcHost } from './ipc-host.ts'

/** A worker's change computed from a document that changed meanwhile: computed again. */
const ATTEMPTS = 5

type UpdateResult<T> = { written: T } | { changed: true }

/**
 * The primary serves a document (its file, under the file's lock) to the workers. A worker's
 * change is computed in the worker; the primary writes its result only if the document is still
 * the one it was computed from, inside the file's own locked update, so a CLI edit in between is
 * never overwritten. The file's watch (a CLI run, another worker's write) tells every worker.
 */
export function hostDocumentSource<T>(host: IpcHost, name: string, source: DocumentSource<T>) {
  host.handle(`${name}.read`, () => source.read())
  host.handle(`${name}.version`, () => source.version())
  host.handle(`${name}.readIfChanged`, (known: string | undefined) => source.readIfChanged(known))
  host.handle(`${name}.updateFrom`, async (base: T, next: T): Promise<UpdateResult<T>> => {
    const changed = new Error('the document changed since the worker read it')
    try {
      // Thrown inside the update, so the lock is let go with nothing written.
      const written = await source.update((current) => {
        if (!isDeepStrictEqual(current, base)) throw changed
        return next
      })
      return { written }
    } catch (err) {
      if (err === changed) return { changed: true }
      throw err
    }
  })
  return source.watch(() => host.publish(`${name}.change`))
}

/** A worker's document, kept by the primary; errors are the format's own (UsersFileError…). */
export function ipcDocumentSource<T>(
  client: IpcClient,
  name: string,
  where: string,
  format: JsonFileFormat<T>,
): DocumentSource<T> {
  const remake = (file: string, problems: readonly string[]) => format.error(file, problems)
  const call = <R>(method: string, ...args: unknown[]) =>
    client.call<R>(`${name}.${method}`, args, remake)
  const read = () => call<{ data: T; version: string | undefined }>('read')
  return {
    where,
    read,
    version: () => call<string | undefined>('version'),
    readIfChanged: (known) =>
      call<{ data: T; version: string | undefined } | undefined>('readIfChanged', known),
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
    watch: (onChange) => client.subscribe(`${name}.change`, onChange),
  }
}
