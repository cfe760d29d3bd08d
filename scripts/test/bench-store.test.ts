import { existsSync, readFileSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { BenchStoreRunner } from '../bench/bench-store.ts'
import {
  ETCD_AVAILABLE,
  etcdSuiteTitle,
} from '../../apps/jwt-factory/src/stores/etcd/etcd-test-cluster.ts'
import { waitFor } from '../etcd/wait-for.ts'

/**
 * The store `npm run bench -- --store etcd` runs the factory on: a real etcd member on free
 * loopback ports, stopped by its pid and removed whatever happens. Skipped only without etcd.
 */
const runners: BenchStoreRunner[] = []
afterEach(async () => {
  for (const runner of runners.splice(0)) await runner.stop()
})
const newRunner = () => {
  const runner = new BenchStoreRunner()
  runners.push(runner)
  return runner
}

/** Gone means gone: no process, not even a zombie. */
function runs(pid: number): boolean {
  try {
    return !/ Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\)/s, ''))
  } catch {
    return false
  }
}

describe('the bench store, files', () => {
  it('sets STORE=files over the shell and starts nothing', async () => {
    const runner = newRunner()
    expect(await runner.start('files')).toEqual({
      store: 'files',
      factoryEnv: { STORE: 'files' },
      pids: new Map(),
    })
    expect(runner.folder).toBeUndefined()
  })
})

describe.skipIf(!ETCD_AVAILABLE)(etcdSuiteTitle('the bench store, etcd'), () => {
  it('etcd: one healthy member for the factory, its folder 0700; stop ends it and removes it', async () => {
    const runner = newRunner()
    const { factoryEnv, pids } = await runner.start('etcd')
    expect(factoryEnv).toMatchObject({ STORE: 'etcd', ETCD_PREFIX: 'bench/' })
    expect(factoryEnv.ETCD_ENDPOINTS).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const health = await fetch(`${factoryEnv.ETCD_ENDPOINTS}/health`)
    expect(await health.json()).toEqual({ health: 'true' })
    const folder = runner.folder!
    expect(dirname(factoryEnv.STORE_KEK_FILE!)).toBe(folder) // the KEK goes with the folder
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    const pid = pids.get('etcd')!
    expect(runs(pid)).toBe(true)

    await runner.stop()
    expect(runs(pid)).toBe(false)
    expect(existsSync(folder)).toBe(false)
  })

  it('stopped while etcd starts (Ctrl-C): the member is ended by its pid, the folder removed', async () => {
    const runner = newRunner()
    // Its refusal is taken at once, so it is never an unhandled rejection while stop() runs.
    const started = runner.start('etcd').then(
      () => true,
      () => false,
    )
    const folder = runner.folder!
    const pidFile = join(folder, 'pids.json')
    await waitFor(() => existsSync(pidFile), 'etcd spawned', 10_000)
    const [{ pid }] = JSON.parse(readFileSync(pidFile, 'utf8')) as [{ pid: number }]

    await runner.stop()
    await started // false if it was still waiting for etcd's health
    expect(runs(pid)).toBe(false)
    expect(existsSync(folder)).toBe(false)
  })

  it('stopped before etcd is spawned: start refuses, and nothing is left', async () => {
    const runner = newRunner()
    const refusal = runner.start('etcd').catch((err: unknown) => err)
    const folder = runner.folder!
    await runner.stop()
    expect(await refusal).toMatchObject({ message: 'stopped before etcd started' })
    expect(existsSync(folder)).toBe(false)
  })
})
