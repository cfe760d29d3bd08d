import { silentLogger } from '@jwt-factory/server'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { FailureScope } from '../stores/shared-state.ts'
import { createKvSharedState } from '../stores/kv/kv-shared-state.ts'
import { IpcHost } from './ipc-host.ts'
import { hostKvBackend, ipcKvBackend } from './ipc-kv-backend.ts'
import { attachTestWorker, closeTestWorkers } from './ipc-test-pair.ts'
import { memoryKvBackend } from './memory-kv-backend.ts'

/**
 * The SharedState of the workers of one factory on files: kv-shared-state.ts at each worker, on
 * the primary's memory over the channel. What one claims the other is refused, one takes what
 * another held, failures at one are counted at the other, and a claim ends when it should.
 */
afterEach(closeTestWorkers)

function factory() {
  let nowMs = Date.parse('2026-01-01T00:00:00Z')
  const host = new IpcHost()
  const backend = memoryKvBackend(() => nowMs)
  hostKvBackend(host, backend)
  const worker = () =>
    createKvSharedState(ipcKvBackend(attachTestWorker(host).client, 'test primary'), {
      windowSeconds: 300,
      logger: silentLogger(),
      now: () => new Date(nowMs),
    })
  return {
    worker,
    backend,
    seconds: () => nowMs / 1000,
    advance: (ms: number) => (nowMs += ms),
  }
}

describe('SharedState over IPC, on the primary memory', () => {
  it('a claim made at one worker is refused at the other, racing or not, until it ends', async () => {
    const { worker, seconds, advance } = factory()
    const [a, b] = [worker(), worker()]
    const until = seconds() + 30
    const raced = await Promise.all([
      a.claimOnce('totp/alice/1', until),
      b.claimOnce('totp/alice/1', until),
    ])
    expect(raced.sort()).toEqual([false, true])
    expect(await b.claimOnce('totp/alice/1', until)).toBe(false)
    advance(30_000)
    expect(await b.claimOnce('totp/alice/1', until + 30)).toBe(true)
  })

  it('raise keeps the greatest value across workers', async () => {
    const { worker, seconds } = factory()
    const [a, b] = [worker(), worker()]
    expect(await a.raise('step/alice', 5, seconds() + 60)).toBe(true)
    expect(await b.raise('step/alice', 5, seconds() + 60)).toBe(false)
    expect(await b.raise('step/alice', 6, seconds() + 60)).toBe(true)
    expect(await a.raise('step/alice', 4, seconds() + 60)).toBe(false)
  })

  it('what one worker holds, one taker gets at another; after its time, nobody', async () => {
    const { worker, seconds, advance } = factory()
    const [a, b, c] = [worker(), worker(), worker()]
    await a.hold('challenge/x', 'alice', seconds() + 120)
    const taken = await Promise.all([b.take('challenge/x'), c.take('challenge/x')])
    expect(taken.sort()).toEqual(['alice', undefined].sort())
    await a.hold('challenge/y', 'bob', seconds() + 120)
    advance(120_000)
    expect(await b.take('challenge/y')).toBeUndefined()
  })

  it('a failure published at one worker reaches the other once, never its sender', async () => {
    const { worker } = factory()
    const [a, b] = [worker(), worker()]
    const atA: string[] = []
    const atB: string[] = []
    const record = (list: string[]) => (scope: FailureScope, name: string) =>
      list.push(`${scope} ${name}`)
    const subs = [a.failures.subscribe(record(atA)), b.failures.subscribe(record(atB))]
    a.failures.publish('u', 'alice', Date.now())
    await vi.waitFor(() => expect(atB).toEqual(['u alice']))
    b.failures.publish('a', '127.0.0.1', Date.now())
    await vi.waitFor(() => expect(atA).toEqual(['a 127.0.0.1']))
    expect(atB).toEqual(['u alice'])
    subs.forEach((s) => s.close())
  })

  it('lists only what has not expired', async () => {
    const { worker, backend, seconds, advance } = factory()
    const a = worker()
    for (let i = 0; i < 50; i++) await a.claimOnce(`once-${i}`, seconds() + 10)
    expect(await backend.list('once/')).toHaveLength(50)
    advance(11_000)
    expect(await backend.list('once/')).toHaveLength(0)
  })
})
