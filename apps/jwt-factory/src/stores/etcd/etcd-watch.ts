import type { Logger } from '@jwt-factory/server'
import type { IWatchResponse, Namespace, Watcher } from 'etcd3'
import type { KvWatch } from '../kv/kv-backend.ts'

/** A KvWatch whose end can be awaited: the client must not close under a live watch. */
export interface EtcdWatch extends KvWatch {
  stop(): Promise<void>
}

export interface WatchPrefixOptions {
  namespace: Namespace
  prefix: string
  onChange: (keys: readonly string[]) => void
  /** The store, as KvBackend.description names it, for the logs. */
  store: string
  logger: Logger
}

/**
 * KvBackend.watch on etcd3's watcher, which reconnects by itself and replays from the last
 * revision it saw. Once connected, and after an outage, the listener is told to reload everything (keys []):
 * the watch may also have been cancelled meanwhile (its revision compacted away) and restarted
 * from now. An outage is logged once, its end once; a listener that throws is logged, never
 * thrown into etcd3 (which would rethrow it out of the event loop).
 */
export function watchPrefix(options: WatchPrefixOptions): EtcdWatch {
  const { namespace, prefix, store, logger } = options
  const where = { store, prefix }
  let watcher: Watcher | undefined
  let down = false
  let closed = false

  const deliver = (keys: readonly string[]) => {
    if (closed) return
    try {
      options.onChange(keys)
    } catch (err) {
      logger.error({ ...where, err }, 'a listener of the etcd watch failed')
    }
  }
  const lost = (reason: string) => {
    if (down) return
    down = true
    logger.warn({ ...where, reason }, `the watch on ${store} is lost; it resumes by itself`)
  }

  const start = () => {
    // watcher(), not create(): create() hides the disconnections before the first connection.
    const w = namespace.watch().prefix(prefix).watcher()
    watcher = w
    w.on('data', (res: IWatchResponse) => {
      // etcd3's own listener, registered first, has already taken the prefix off the keys.
      const keys = res.events.map((event) => event.kv.key.toString())
      if (keys.length > 0) deliver(keys)
    })
    w.on('disconnected', (err: Error) => lost(err.message))
    // Also the first time: what changed between the listener's first read and the watch being
    // live is reloaded then, not at the next change.
    w.on('connected', () => {
      if (down) logger.info(where, `the watch on ${store} resumed`)
      down = false
      deliver([])
    })
    // etcd ended this watch (etcd3 does not restart those): a new one, from now on.
    w.on('error', (err: Error) => {
      lost(err.message)
      if (!closed) start()
    })
  }
  start()

  const stop = async () => {
    closed = true
    // Cancelling asks etcd; with etcd gone, the watch is gone anyway.
    await watcher?.cancel().catch(() => {})
  }
  return {
    stop,
    close: () => void stop(),
  }
}
