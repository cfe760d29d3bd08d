import { randomUUID } from 'node:crypto'
import { silentLogger, recordingLogger } from '@jwt-factory/server'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { openEtcdBackend } from '../etcd/etcd-backend.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
  randomPrefix,
  startTestEtcd,
  type TestEtcd,
} from '../etcd/etcd-test-cluster.ts'
import type { FailureScope, SharedState } from '../shared-state.ts'
import { StoreUnavailableError } from '../store-unavailable.ts'
import type { KvBackend } from './kv-backend.ts'
import { createKvSharedState } from './kv-shared-state.ts'

/**
 * Two factories' SharedStates on one real etcd: what one claims the other is refused, however
 * they race, and failures published at one arrive once at the other.
 */
const TITLE = etcdSuiteTitle('SharedState on etcd (two factories, one store)')

/** What a watch takes is milliseconds; the bound only keeps a broken one from hanging the run. */
const BOUND = { timeout: 10_000, interval: 50 }

let etcd: TestEtcd
const backends: KvBackend[] = []

/** A factory's view of the store: its own backend (its own connection), on `prefix`. */
async function factoryState(prefix: string, windowSeconds = 300, logger = silentLogger()) {
  const backend = await openEtcdBackend({
    endpoints: etcd.endpoints,
    prefix,
    timeoutMs: 2000,
    logger,
  })
  backends.push(backend)
  return createKvSharedState(backend, { windowSeconds, logger, now: () => new Date() })
}

const twoFactories = async (windowSeconds?: number) => {
  const prefix = randomPrefix()
  return [await factoryState(prefix, windowSeconds), await factoryState(prefix, windowSeconds)]
}

const inAMinute = () => Math.floor(Date.now() / 1000) + 60

/** Every failure a state is told, in order, but the probes of `live`. */
function received(state: SharedState) {
  const seen: [FailureScope, string][] = []
  const probes = new Set<string>()
  const subscription = state.failures.subscribe((scope, name) => {
    if (name.startsWith('probe-')) probes.add(name)
    else seen.push([scope, name])
  })
  return { seen, probes, close: () => subscription.close() }
}

/**
 * Resolves once `to`'s subscription is live: its watch reaches etcd a moment after subscribe
 * returns, and a failure published before that reaches it only through the catch-up read.
 */
const live = (from: SharedState, to: ReturnType<typeof received>) =>
  vi.waitFor(() => {
    const probe = `probe-${randomUUID()}`
    from.failures.publish('u', probe, Date.now())
    expect(to.probes.size).toBeGreaterThan(0)
  }, BOUND)

describe.skipIf(!ETCD_AVAILABLE)(TITLE, () => {
  beforeAll(async () => {
    etcd = await startTestEtcd({ members: 1 })
  }, 30_000)
  afterAll(async () => {
    await Promise.all(backends.map((b) => b.close()))
    await etcd?.stop()
  })

  it('attack: an assertion claimed at one factory is refused at the other, and again at the first', async () => {
    const [a, b] = await twoFactories()
    expect(await a!.claimOnce('assertions/servicea/j1', inAMinute())).toBe(true)
    expect(await b!.claimOnce('assertions/servicea/j1', inAMinute())).toBe(false)
    expect(await a!.claimOnce('assertions/servicea/j1', inAMinute())).toBe(false)
    expect(await b!.claimOnce('assertions/servicea/j2', inAMinute())).toBe(true)
  })

  it('attack: the same claim raced from two factories at once → exactly one true', async () => {
    const [a, b] = await twoFactories()
    const keys = Array.from({ length: 20 }, (_, i) => `assertions/servicea/race-${i}`)
    for (const key of keys) {
      const answers = await Promise.all([
        a!.claimOnce(key, inAMinute()),
        b!.claimOnce(key, inAMinute()),
        a!.claimOnce(key, inAMinute()),
        b!.claimOnce(key, inAMinute()),
      ])
      expect(answers.filter(Boolean)).toHaveLength(1)
    }
  })

  it('attack: raise refuses an equal or older TOTP step from the other factory', async () => {
    const [a, b] = await twoFactories()
    expect(await a!.raise('totp/tina', 100, inAMinute())).toBe(true)
    expect(await b!.raise('totp/tina', 100, inAMinute())).toBe(false)
    expect(await b!.raise('totp/tina', 99, inAMinute())).toBe(false)
    expect(await b!.raise('totp/tina', 101, inAMinute())).toBe(true)
    expect(await a!.raise('totp/tina', 101, inAMinute())).toBe(false)
    expect(await a!.raise('totp/victor', 1, inAMinute())).toBe(true) // each user apart
  })

  it('attack: the same step raised from two factories at once → exactly one true', async () => {
    const [a, b] = await twoFactories()
    for (let step = 1; step <= 20; step++) {
      const answers = await Promise.all([
        a!.raise('totp/tina', step, inAMinute()),
        b!.raise('totp/tina', step, inAMinute()),
        a!.raise('totp/tina', step, inAMinute()),
        b!.raise('totp/tina', step, inAMinute()),
      ])
      expect(answers.filter(Boolean)).toHaveLength(1)
    }
  })

  it('a claim goes when its time is up: the store forgets it by itself', async () => {
    const [a, b] = await twoFactories()
    const soon = Math.floor(Date.now() / 1000) + 1
    expect(await a!.claimOnce('assertions/servicea/short', soon)).toBe(true)
    expect(await b!.claimOnce('assertions/servicea/short', soon)).toBe(false)
    // Polls the store, not a fixed delay: the lease ends within a second or two.
    await vi.waitFor(async () => {
      expect(await b!.claimOnce('assertions/servicea/short', inAMinute())).toBe(true)
    }, BOUND)
    expect(await a!.claimOnce('assertions/servicea/short', inAMinute())).toBe(false)
  })

  it('a failure published at one factory arrives once at the other, never back at the first', async () => {
    const [a, b] = await twoFactories()
    const atA = received(a!)
    const atB = received(b!)
    try {
      await live(a!, atB)
      await live(b!, atA)
      a!.failures.publish('u', 'alice/../x y', Date.now()) // names are any string
      a!.failures.publish('a', '192.0.2.7', Date.now())
      await vi.waitFor(() => expect(atB.seen).toHaveLength(2), BOUND)
      // Fire and forget: two publishes may land in either order.
      expect(atB.seen).toEqual(
        expect.arrayContaining([
          ['u', 'alice/../x y'],
          ['a', '192.0.2.7'],
        ]),
      )
      // b's own failure reaches a; once a has it, a's watch is past its own two.
      b!.failures.publish('c', 'servicea from 192.0.2.7', Date.now())
      await vi.waitFor(() => expect(atA.seen).toHaveLength(1), BOUND)
      expect(atA.seen).toEqual([['c', 'servicea from 192.0.2.7']])
      expect(atB.seen).toHaveLength(2)
    } finally {
      atA.close()
      atB.close()
    }
  })

  it('a factory subscribing later is told the failures still in the window', async () => {
    const [a, b] = await twoFactories()
    const atB = received(b!)
    try {
      await live(a!, atB)
      a!.failures.publish('u', 'alice', Date.now())
      await vi.waitFor(() => expect(atB.seen).toHaveLength(1), BOUND)
      const late = received(b!)
      await vi.waitFor(() => expect(late.seen).toEqual([['u', 'alice']]), BOUND)
      late.close()
    } finally {
      atB.close()
    }
  })

  it('a failure whose lease ends is not counted again, and a foreign key is logged and skipped', async () => {
    const prefix = randomPrefix()
    const lines: string[] = []
    const logger = recordingLogger((line) => lines.push(line))
    const a = await factoryState(prefix, 1)
    const b = await factoryState(prefix, 1, logger)
    const atB = received(b)
    const raw = backends.at(-1)!
    try {
      await live(a, atB)
      a.failures.publish('u', 'alice', Date.now())
      await vi.waitFor(() => expect(atB.seen).toHaveLength(1), BOUND)
      // The one-second lease ends: the watch reports the key once more, as removed.
      await vi.waitFor(async () => expect(await raw.list('failures/')).toEqual([]), BOUND)
      await raw.commit([], [{ key: 'failures/u/mallory/not-a-failure', value: 'x' }])
      // Failures arrive in the store's order: once this one is in, the two before were seen.
      a.failures.publish('u', 'bob', Date.now())
      await vi.waitFor(() => expect(atB.seen).toHaveLength(2), BOUND)
      expect(atB.seen).toEqual([
        ['u', 'alice'],
        ['u', 'bob'],
      ])
      expect(lines.some((l) => l.includes('failures/u/mallory/not-a-failure'))).toBe(true)
    } finally {
      atB.close()
    }
  })

  // Last: it takes the cluster down.
  it('store down: claims and raises reject with StoreUnavailableError (fail closed); a failure is only logged', async () => {
    const [a] = await twoFactories()
    await etcd.stopMember(0)
    try {
      await expect(a!.claimOnce('assertions/servicea/down', inAMinute())).rejects.toBeInstanceOf(
        StoreUnavailableError,
      )
      await expect(a!.raise('totp/tina', 5, inAMinute())).rejects.toBeInstanceOf(
        StoreUnavailableError,
      )
      expect(() => a!.failures.publish('u', 'alice', Date.now())).not.toThrow()
    } finally {
      await etcd.startMember(0)
    }
    await vi.waitFor(
      async () => {
        expect(await a!.claimOnce('assertions/servicea/down', inAMinute())).toBe(true)
      },
      { timeout: 30_000, interval: 200 },
    )
  }, 60_000)
})
