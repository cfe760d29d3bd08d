import { HttpError } from '@jwt-factory/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import { UsersFileError } from '../users/users-file.ts'
import { IpcHost } from './ipc-host.ts'
import { attachTestWorker, closeTestWorkers } from './ipc-test-pair.ts'

afterEach(closeTestWorkers)

describe('IpcHost and IpcClient: calls by id, errors of the same kind, events to every worker', () => {
  it('answers each call with its own result, Maps and undefined included', async () => {
    const host = new IpcHost()
    host.handle('double', async (n: number) => n * 2)
    host.handle('nothing', () => undefined)
    host.handle('map', () => new Map([['a', 1]]))
    const { client } = attachTestWorker(host)
    const answers = await Promise.all([1, 2, 3].map((n) => client.call('double', [n])))
    expect(answers).toEqual([2, 4, 6])
    expect(await client.call('nothing', [])).toBeUndefined()
    expect(await client.call('map', [])).toEqual(new Map([['a', 1]]))
  })

  it("re-makes the primary's errors as their own kinds: a format error, a store unavailable, an HttpError's status", async () => {
    const host = new IpcHost()
    host.handle('format', () => {
      throw new UsersFileError('/data/users.json', ['users.0.name: required'])
    })
    host.handle('store', () => {
      throw new StoreUnavailableError('etcd http://127.0.0.1:2379', 'no quorum')
    })
    host.handle('conflict', () => {
      throw new HttpError(409, 'ERR_CONFLICT', 'changed meanwhile')
    })
    const { client } = attachTestWorker(host)
    const remake = (file: string, problems: readonly string[]) => new UsersFileError(file, problems)
    const format = await client.call('format', [], remake).catch((err: unknown) => err)
    expect(format).toBeInstanceOf(UsersFileError)
    expect(format).toMatchObject({ file: '/data/users.json', problems: ['users.0.name: required'] })
    const store = await client.call('store', []).catch((err: unknown) => err)
    expect(store).toBeInstanceOf(StoreUnavailableError)
    expect(store).toMatchObject({
      status: 503,
      message: 'the store (etcd http://127.0.0.1:2379) is unavailable: no quorum',
    })
    const conflict = await client.call('conflict', []).catch((err: unknown) => err)
    expect(conflict).toBeInstanceOf(HttpError)
    expect(conflict).toMatchObject({ status: 409, code: 'ERR_CONFLICT', name: 'HttpError' })
  })

  it('fails a call to a method it does not know, and refuses to handle one twice', async () => {
    const host = new IpcHost()
    host.handle('known', () => 1)
    expect(() => host.handle('known', () => 2)).toThrow('known is handled already')
    const { client } = attachTestWorker(host)
    await expect(client.call('unknown', [])).rejects.toThrow('the primary has no method unknown')
  })

  it('publishes an event to every worker attached, and to none detached', async () => {
    const host = new IpcHost()
    const [a, b] = [attachTestWorker(host), attachTestWorker(host)]
    const seen: string[] = []
    a.client.subscribe('change', (p: string) => seen.push(`a ${p}`))
    b.client.subscribe('change', (p: string) => seen.push(`b ${p}`))
    host.publish('change', 'one')
    await vi.waitFor(() => expect(seen.sort()).toEqual(['a one', 'b one']))
    b.disconnect()
    host.publish('change', 'two')
    await vi.waitFor(() => expect(seen).toContain('a two'))
    expect(seen).not.toContain('b two')
  })

  it("deliver resolves once every worker's listeners took the event in, or the worker is gone", async () => {
    const host = new IpcHost()
    const [a, b] = [attachTestWorker(host), attachTestWorker(host)]
    const taken: string[] = []
    let release: (() => void) | undefined
    a.client.subscribe('change', (p: string) => taken.push(`a ${p}`))
    b.client.subscribe(
      'change',
      (p: string) =>
        new Promise<void>((resolve) => {
          release = () => {
            taken.push(`b ${p}`)
            resolve()
          }
        }),
    )
    let delivered = false
    const delivery = host.deliver('change', 'one').then(() => (delivered = true))
    await vi.waitFor(() => expect(release).toBeDefined())
    await vi.waitFor(() => expect(taken).toEqual(['a one']))
    expect(delivered).toBe(false)
    release!()
    await delivery
    expect(taken).toEqual(['a one', 'b one'])
    // A worker that never answers and then goes: the delivery ends with it.
    b.client.subscribe('other', () => new Promise(() => {}))
    const second = host.deliver('other', 'x')
    b.disconnect()
    await second
  })

  it('a worker cut off from the primary fails its waiting and later calls as a store unavailable (503)', async () => {
    const host = new IpcHost()
    let answer: (() => void) | undefined
    host.handle('slow', () => new Promise<void>((resolve) => (answer = resolve)))
    const worker = attachTestWorker(host)
    const waiting = worker.client.call('slow', [])
    await vi.waitFor(() => expect(answer).toBeDefined())
    worker.disconnect()
    await expect(waiting).rejects.toBeInstanceOf(StoreUnavailableError)
    await expect(worker.client.call('slow', [])).rejects.toThrow(
      "the store (the factory's primary process) is unavailable",
    )
    answer!()
  })
})
