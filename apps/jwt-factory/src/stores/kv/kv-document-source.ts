import { createHash, randomInt, randomUUID } from 'node:crypto'
import { setTimeout } from 'node:timers/promises'
import type { Logger } from '@jwt-factory/server'
import { debounced } from '../debounced.ts'
import type { DocumentSource } from '../document-source.ts'
import { problemsOf, type JsonFileFormat } from '../locked-json-file.ts'
import { StoreUnavailableError } from '../store-unavailable.ts'
import type { KvBackend, KvEntry, KvWrite } from './kv-backend.ts'

/**
 * How one document (the users, the clients, the revocations) is laid out in a KvBackend: a head
 * key `<name>`, rewritten at every update, and one record per entry at `<name>/<keyOf(entry)>`.
 */
export interface KvDocumentLayout<T, R> {
  /** The head key and the records' folder: `users`. */
  name: string
  format: JsonFileFormat<T>
  recordsOf(doc: T): R[]
  /** The record's part of its key, already key-safe (no `/`): `alice`. */
  keyOf(record: R): string
  documentOf(records: R[]): T
  /** The stored value; `key` is the full key (`users/alice`), the context of anything sealed. */
  encode(record: R, key: string): string
  /** The record a stored value holds; throws (saying why, never quoting the value) when none. */
  decode(value: string, key: string): R
  /** Seconds the store keeps the record, for records that expire (revocations). */
  ttlSecondsOf?(record: R): number | undefined
}

const DEBOUNCE_MS = 30
/** Each failed attempt means another writer's update landed in between; this many is a fault. */
const MAX_ATTEMPTS = 10
/** etcd refuses a transaction of more operations (its --max-txn-ops, 128 by default). */
const MAX_WRITES_PER_COMMIT = 128
/** Upper bound of the random pause after a lost attempt, growing with each. */
const BACKOFF_MS = 20

interface Stored<R> {
  key: string
  record: R
}

interface Snapshot<T, R> {
  head: KvEntry | undefined
  records: Stored<R>[]
  document: T
  version: string | undefined
}

/**
 * A document kept as records in a KvBackend, so writers that change different entries (two CLIs
 * adding two users, two factories revoking two tokens) never rewrite each other's records. Every
 * update expects the head's revision and rewrites the head: of two updates at once, one lands
 * and the other is retried on the new content, so both land. A record that cannot be read (not
 * JSON, a foreign shape, sealed under another key) is logged by its key and skipped, and left
 * as it is by updates: a factory never destroys what it cannot read.
 */
export function kvDocumentSource<T, R>(
  backend: KvBackend,
  layout: KvDocumentLayout<T, R>,
  logger: Logger,
): DocumentSource<T> {
  return new KvDocumentSource(backend, layout, logger)
}

class KvDocumentSource<T, R> implements DocumentSource<T> {
  readonly where: string
  readonly #backend: KvBackend
  readonly #layout: KvDocumentLayout<T, R>
  readonly #logger: Logger
  /** This process's updates one after the other: they would only overtake each other. */
  #updating: Promise<unknown> = Promise.resolve()

  constructor(backend: KvBackend, layout: KvDocumentLayout<T, R>, logger: Logger) {
    this.#backend = backend
    this.#layout = layout
    this.#logger = logger
    this.where = `${backend.description} ${layout.name}/`
  }

  async read(): Promise<{ data: T; version: string | undefined }> {
    const { document, version } = await this.#snapshot()
    return { data: document, version }
  }

  async version(): Promise<string | undefined> {
    const { head, records } = await this.#entries()
    return versionOf(head, records)
  }

  /** One listing: its version compared, its records decoded only when it changed. */
  async readIfChanged(known: string | undefined) {
    const entries = await this.#entries()
    if (versionOf(entries.head, entries.records) === known) return undefined
    const { document, version } = this.#snapshotOf(entries)
    return { data: document, version }
  }

  update(change: (data: T) => T | Promise<T>): Promise<T> {
    const run = this.#updating.then(() => this.#update(change))
    this.#updating = run.catch(() => undefined)
    return run
  }

  watch(onChange: () => void): { close(): void } {
    const change = debounced(onChange, DEBOUNCE_MS)
    const watch = this.#backend.watch(this.#layout.name, (keys) => {
      // No keys: the store was unreachable and changes may have been missed.
      if (keys.length === 0 || keys.some((k) => this.#holds(k))) change.call()
    })
    return {
      close() {
        watch.close()
        change.cancel()
      },
    }
  }

  async #update(change: (data: T) => T | Promise<T>): Promise<T> {
    const { name, format, recordsOf } = this.#layout
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { head, records, document } = await this.#snapshot()
      const checked = format.schema.safeParse(await change(document))
      if (!checked.success) throw format.error(this.where, problemsOf(checked.error))
      const writes = this.#writes(records, recordsOf(checked.data))
      if (await this.#commit(head, writes)) return checked.data
      // Writers that lost to each other try again at different moments, not in lockstep.
      await setTimeout(randomInt(BACKOFF_MS) * (attempt + 1))
    }
    // Busy, not broken: a 503 with Retry-After, as when the store cannot be reached.
    const why = `${name} was changed by other writers ${MAX_ATTEMPTS} times in a row during this update; nothing written`
    throw new StoreUnavailableError(this.#backend.description, why)
  }

  /**
   * One commit expecting the head's revision; false when another writer's update came first. An
   * update too large for one commit (an import) lands in several, each expecting the head as
   * this update left it: another writer in between stops it, saying how much was written.
   */
  async #commit(head: KvEntry | undefined, writes: readonly KvWrite[]): Promise<boolean> {
    const { name, format } = this.#layout
    const first = writes.slice(0, MAX_WRITES_PER_COMMIT)
    if (!(await this.#backend.commit([{ key: name, revision: head?.revision }], first))) {
      // A retried commit whose first try landed fails its compare: the head is then this one's.
      if ((await this.#backend.get(name))?.value !== writes[0]?.value) return false
    }
    for (let done = first.length; done < writes.length; done += MAX_WRITES_PER_COMMIT) {
      const now = await this.#backend.get(name)
      const rest = writes.slice(done, done + MAX_WRITES_PER_COMMIT)
      const ours = now !== undefined && now.value === writes[0]?.value
      if (!ours || !(await this.#backend.commit([{ key: name, revision: now.revision }], rest))) {
        const why = `another writer changed it during this update: ${done} of ${writes.length} writes made`
        throw format.error(this.where, [why])
      }
    }
    return true
  }

  /** The head (unique to this update), the records that changed, the deletion of those removed. */
  #writes(before: readonly Stored<R>[], after: readonly R[]): KvWrite[] {
    const { name, encode, ttlSecondsOf } = this.#layout
    const old = new Map(before.map(({ key, record }) => [key, JSON.stringify(record)]))
    const head = JSON.stringify({ updated: new Date(), update: randomUUID() })
    const writes: KvWrite[] = [{ key: name, value: head }]
    const kept = new Set<string>()
    for (const record of after) {
      const key = this.#keyOf(record)
      kept.add(key)
      if (old.get(key) === JSON.stringify(record)) continue
      const ttlSeconds = ttlSecondsOf?.(record)
      writes.push({ key, value: encode(record, key), ...(ttlSeconds ? { ttlSeconds } : {}) })
    }
    for (const key of old.keys()) if (!kept.has(key)) writes.push({ key })
    return writes
  }

  async #snapshot(): Promise<Snapshot<T, R>> {
    return this.#snapshotOf(await this.#entries())
  }

  #snapshotOf({
    head,
    records,
  }: {
    head: KvEntry | undefined
    records: KvEntry[]
  }): Snapshot<T, R> {
    const readable = records.flatMap((entry) => this.#decode(entry))
    return {
      head,
      records: readable,
      document: this.#document(readable),
      version: versionOf(head, records),
    }
  }

  /** Head and records from one list: one consistent snapshot of the store. */
  async #entries(): Promise<{ head: KvEntry | undefined; records: KvEntry[] }> {
    const { name } = this.#layout
    const entries = await this.#backend.list(name)
    return {
      head: entries.find((e) => e.key === name),
      records: entries.filter((e) => e.key !== name && this.#holds(e.key)),
    }
  }

  #decode(entry: KvEntry): Stored<R>[] {
    try {
      const record = this.#layout.decode(entry.value, entry.key)
      if (this.#keyOf(record) !== entry.key) throw new Error('holds a record of another key')
      return [{ key: entry.key, record }]
    } catch (err) {
      this.#skip(entry.key, (err as Error).message)
      return []
    }
  }

  /**
   * The document of the readable records, validated. A rule across records that one breaks (a
   * duplicate) drops that record, found by the index the problem names; anything else throws.
   */
  #document(stored: readonly Stored<R>[]): T {
    const { format, documentOf, recordsOf } = this.#layout
    let records = stored.map((s) => s.record)
    for (let pass = 0; ; pass++) {
      const document = documentOf(records)
      const result = format.schema.safeParse(document)
      if (result.success) return result.data
      const listed = recordsOf(document)
      const culprits = new Set<R>()
      for (const issue of result.error.issues) {
        const index = issue.path.find((p) => typeof p === 'number')
        const record = index === undefined ? undefined : listed[index]
        if (record === undefined) continue
        culprits.add(record)
        this.#skip(this.#keyOf(record), issue.message)
      }
      if (pass > 0 || culprits.size === 0) {
        throw format.error(this.where, problemsOf(result.error))
      }
      records = listed.filter((r) => !culprits.has(r))
    }
  }

  #skip(key: string, reason: string): void {
    this.#logger.warn(
      { store: this.#backend.description, key },
      `skipped ${key} in ${this.#backend.description}: ${reason}`,
    )
  }

  #keyOf(record: R): string {
    return `${this.#layout.name}/${this.#layout.keyOf(record)}`
  }

  #holds(key: string): boolean {
    return key === this.#layout.name || key.startsWith(`${this.#layout.name}/`)
  }
}

/**
 * Changes with any put or delete of the head or a record, by any writer (a foreign one too):
 * every key with its revision, digested. Undefined when nothing is stored.
 */
function versionOf(head: KvEntry | undefined, records: readonly KvEntry[]): string | undefined {
  const entries = head ? [head, ...records] : records
  if (entries.length === 0) return undefined
  const digest = createHash('sha256')
  for (const { key, revision } of entries) digest.update(`${key}\n${revision}\n`)
  return `${entries.length}:${digest.digest('base64url').slice(0, 22)}`
}
