import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@jwt-factory/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { fileDocumentSource } from '../stores/file-document-source.ts'
import { updateJsonFile, type JsonFileFormat } from '../stores/locked-json-file.ts'
import { hostDocumentSource, ipcDocumentSource } from './ipc-document-source.ts'
import { IpcHost } from './ipc-host.ts'
import { attachTestWorker, closeTestWorkers } from './ipc-test-pair.ts'

/** A JSON file owned by the primary, changed by two workers and by a CLI run in between. */
class ListFileError extends Error {
  override name = 'ListFileError'
  constructor(
    readonly file: string,
    readonly problems: readonly string[],
  ) {
    super(`${file}: ${problems.join('; ')}`)
  }
}
interface List {
  items: string[]
}
const FORMAT: JsonFileFormat<List> = {
  schema: z.object({ items: z.array(z.string().min(1)) }),
  empty: () => ({ items: [] }),
  error: (file, problems) => new ListFileError(file, problems),
}

const roots: string[] = []
const closers: { close(): void }[] = []
afterEach(async () => {
  closers.splice(0).forEach((c) => c.close())
  closeTestWorkers()
  await Promise.all(roots.splice(0).map((r) => rm(r, { recursive: true, force: true })))
})

async function factory() {
  const root = await mkdtemp(join(tmpdir(), 'ipc-document-'))
  roots.push(root)
  const file = join(root, 'list.json')
  const host = new IpcHost()
  closers.push(hostDocumentSource(host, 'list', fileDocumentSource(file, FORMAT, silentLogger())))
  const worker = () => ipcDocumentSource(attachTestWorker(host).client, 'list', file, FORMAT)
  const onDisk = async () => JSON.parse(await readFile(file, 'utf8')) as List
  return { host, file, worker, onDisk }
}

const add = (item: string) => (list: List) => ({ items: [...list.items, item] })

describe('DocumentSource over IPC (a file the primary writes for the workers)', () => {
  it("two workers' changes at once both land; each worker reads what the other wrote", async () => {
    const { worker, onDisk } = await factory()
    const [a, b] = [worker(), worker()]
    await Promise.all([a.update(add('from a')), b.update(add('from b'))])
    expect((await onDisk()).items.sort()).toEqual(['from a', 'from b'])
    expect((await b.read()).data.items.sort()).toEqual(['from a', 'from b'])
  })

  it('a change computed from a document a CLI run changed meanwhile is computed again: the edit is kept', async () => {
    const { file, worker, onDisk } = await factory()
    const a = worker()
    let runs = 0
    const written = await a.update(async (list) => {
      runs++
      // The first time: a CLI run writes between this worker's read and its write.
      if (runs === 1) await updateJsonFile(file, FORMAT, add('from the CLI'))
      return add('from a')(list)
    })
    expect(runs).toBe(2)
    expect(written.items).toEqual(['from the CLI', 'from a'])
    expect((await onDisk()).items).toEqual(['from the CLI', 'from a'])
  })

  it("a result the format refuses is the format's own error at the worker, and nothing is written", async () => {
    const { worker, onDisk } = await factory()
    const a = worker()
    await a.update(add('kept'))
    const err = await a.update(add('')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ListFileError)
    expect((err as ListFileError).problems[0]).toMatch(/^items\.1:/)
    expect((await onDisk()).items).toEqual(['kept'])
  })

  it("a worker's change is answered only once every worker took it in, and holds it", async () => {
    const { host, file } = await factory()
    const [a, b] = [attachTestWorker(host), attachTestWorker(host)]
    const [atA, atB] = [a, b].map((w) => ipcDocumentSource(w.client, 'list', file, FORMAT))
    const { version } = await atB!.read()
    // Worker b is slow to take the change in: the writer waits for it.
    let release: (() => void) | undefined
    b.client.subscribe('list.change', () => new Promise<void>((resolve) => (release = resolve)))
    let answered = false
    const update = atA!.update(add('revoked')).then(() => (answered = true))
    await vi.waitFor(() => expect(release).toBeDefined())
    expect(answered).toBe(false)
    release!()
    await update
    // And b answers from what was delivered, without asking the primary.
    expect((await atB!.readIfChanged(version))?.data.items).toEqual(['revoked'])
  })

  it('tells every worker when the file changes, whoever changed it; readIfChanged reads only then', async () => {
    const { file, worker } = await factory()
    const [a, b] = [worker(), worker()]
    const { version } = await b.read()
    let changes = 0
    const watch = b.watch(() => changes++)
    closers.push(watch)
    await a.update(add('one'))
    await vi.waitFor(() => expect(changes).toBeGreaterThan(0))
    const seen = changes
    await updateJsonFile(file, FORMAT, add('two'))
    await vi.waitFor(() => expect(changes).toBeGreaterThan(seen))
    const now = await b.readIfChanged(version)
    expect(now?.data.items).toEqual(['one', 'two'])
    expect(await b.readIfChanged(now?.version)).toBeUndefined()
  })
})
