import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { clientUrl, layout } from '../etcd/cluster-layout.ts'
import { startCluster, stopCluster } from '../etcd/local-cluster.ts'
import { freePorts } from '../net/free-ports.ts'
import type { BenchStore } from './options.ts'

/** The bench's own prefix, so its records never mix with a factory's default `jwt-factory/`. */
const ETCD_PREFIX = 'bench/'
/** Long enough for a loaded two-core machine; a healthy member answers in well under a second. */
const START_TIMEOUT_MS = 30_000

/**
 * The store the factory runs on during the bench: its environment for the factory, and the
 * processes of its own (etcd's member) to measure beside the apps. `files` has none: the
 * factory's files live in the cluster's temporary folder, removed with it.
 */
export interface RunningStore {
  store: BenchStore
  /** Set on the factory over whatever the shell has, so the bench measures the store it names. */
  factoryEnv: Record<string, string>
  /** By name, for the RSS and CPU figures. */
  pids: ReadonlyMap<string, number>
}

/**
 * Starts the store the bench was asked for. `stop()` may be called at any time, also while
 * `start()` is still waiting for etcd (Ctrl-C): the member's pid is on record from the moment
 * it is spawned, and it is stopped by that pid; the folder (data and key-encryption key) goes too.
 */
export class BenchStoreRunner {
  #root: string | undefined
  #starting: Promise<unknown> | undefined
  #stopping: Promise<void> | undefined

  /** etcd's temporary folder (its data, log, pid file and the KEK), once `start()` has made it. */
  get folder(): string | undefined {
    return this.#root
  }

  async start(store: BenchStore): Promise<RunningStore> {
    if (store === 'files') return { store, factoryEnv: { STORE: 'files' }, pids: new Map() }
    if (this.#stopping) throw new Error('stopped before etcd started')
    const root = mkdtempSync(join(tmpdir(), 'jwt-factory-bench-etcd-'))
    this.#root = root
    const [clientPort, peerPort] = (await freePorts(2)) as [number, number]
    if (this.#stopping) throw new Error('stopped before etcd started')
    const members = layout(1, [clientPort], [peerPort])
    const starting = startCluster({ root, members, timeoutMs: START_TIMEOUT_MS })
    this.#starting = starting
    const [member] = await starting
    return {
      store,
      factoryEnv: {
        STORE: 'etcd',
        ETCD_ENDPOINTS: clientUrl(members[0]!),
        ETCD_PREFIX,
        // Made by the factory on its first start (it runs on loopback), removed with the folder.
        STORE_KEK_FILE: join(root, 'store.kek'),
      },
      pids: new Map([['etcd', member!.pid]]),
    }
  }

  /** Stops etcd by its pid and removes its folder; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const root = this.#root
      if (!root) return
      await stopCluster(root)
      // A start still under way fails once its member is gone; then nothing of it is left.
      await this.#starting?.catch(() => undefined)
      await stopCluster(root, { removeData: true })
    })()
    return this.#stopping
  }
}
