import cluster, { type Worker } from 'node:cluster'
import { onShutdownSignal, type Logger } from '@jwt-factory/server'
import type { FactoryConfig } from '../config.ts'
import type { AdminCredential } from '../exposure/admin-credential.ts'
import { logServing } from '../factory-start.ts'
import { JwksFault } from '../keys/jwks-fault.ts'
import { openFactory } from '../open-factory.ts'
import type { StoreSources } from '../stores/factory-store.ts'
import { hostControlState } from './control-state.ts'
import { hostFileStore } from './file-store-sources.ts'
import { IpcHost } from './ipc-host.ts'
import { processChannel } from './ipc-message.ts'

/** A worker that died before it served is started again only after this, not in a tight loop. */
const RESTART_AFTER_EARLY_EXIT_MS = 1000
/** A worker that has not stopped this long after being told to is killed. */
const STOP_GRACE_MS = 15_000

export interface PrimaryOptions {
  config: FactoryConfig
  logger: Logger
  /** Opened once here: its start-up checks (the KEK, the files) ran, and stop, here. */
  store: StoreSources
  adminCredential: AdminCredential | undefined
}

/**
 * The primary of WORKERS processes (node:cluster): it builds the factory once as a worker would,
 * so a file or key that cannot be used stops the start here with its message, once; then it
 * forks the workers, which listen on the same ports, and says "listening" once all of them do.
 * With files it keeps the store and serves it to them (file-store-sources.ts); with etcd each
 * worker opens its own. It starts another worker for one that dies, and on SIGTERM or SIGINT
 * stops them all before it exits.
 */
export async function runPrimary({ config, logger, store, adminCredential }: PrimaryOptions) {
  const host = new IpcHost()
  hostControlState(host)
  const files = config.store === 'files' ? hostFileStore(host, store, config, logger) : undefined
  const check = await openFactory({
    config,
    sources: files?.sources ?? store,
    logger,
    jwksFault: new JwksFault(config.jwksFaultDelayMs),
    adminCredential,
  })
  check.close()
  if (!files) await store.close()
  logger.info({ store: store.where }, `keys, users, clients and revocations in ${store.where}`)

  cluster.setupPrimary({ serialization: 'advanced' })
  const workers = new Set<Worker>()
  let stopping = false
  let serving = false
  const listening = new Set<Worker>()
  let toldWhy = false
  /** Before serving, every worker fails alike (a port in use): said once, as one process would. */
  const failed = (worker: Worker, why: string) => {
    if (serving) logger.error({ worker: worker.id }, why)
    else if (!toldWhy) console.error(why)
    toldWhy = true
  }
  const start = () => {
    if (stopping) return // a restart that was waiting
    const worker = cluster.fork()
    const channel = processChannel(worker)
    host.attach(channel)
    workers.add(worker)
    let served = false
    channel.listen((message) => {
      if (message.jf === 'failed') return failed(worker, message.message)
      if (message.jf !== 'listening' || stopping) return
      served = true
      listening.add(worker)
      if (serving) {
        logger.info({ worker: worker.id }, `worker ${worker.id} serves`)
      } else if (listening.size === config.workers) {
        serving = true
        logServing(config, adminCredential, message.urls, logger, ` (${config.workers} workers)`)
      }
    })
    worker.on('exit', (code, signal) => {
      host.detach(channel)
      files?.forget(String(worker.id))
      workers.delete(worker)
      listening.delete(worker)
      if (stopping) return
      const how = signal ?? `code ${code}`
      const pid = worker.process.pid
      if (!serving) {
        // Its own message (a port in use, say) is on stderr already: once, from the first to fail.
        logger.error(
          { worker: worker.id, pid },
          `worker ${worker.id} exited (${how}) before it served: stopping`,
        )
        void stopAll().then(() => process.exit(1))
        return
      }
      logger.warn(
        { worker: worker.id, pid },
        `worker ${worker.id} (pid ${pid}) exited (${how}): starting another`,
      )
      if (served) start()
      // Not unref'd: with every worker gone it is what keeps the primary running.
      else setTimeout(start, RESTART_AFTER_EARLY_EXIT_MS)
    })
  }
  const stopAll = async () => {
    stopping = true
    await Promise.all([...workers].map(stopWorker))
    files?.close()
    if (files) await store.close()
  }
  onShutdownSignal(logger, async () => {
    logger.info('jwt-factory stopping')
    await stopAll()
    logger.flush()
  })
  for (let i = 0; i < config.workers; i++) start()
}

/** Tells the worker to stop and waits for its exit; kills it when it takes too long. */
function stopWorker(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    if (worker.isDead()) return resolve()
    const timer = setTimeout(() => worker.process.kill('SIGKILL'), STOP_GRACE_MS)
    worker.once('exit', () => {
      clearTimeout(timer)
      resolve()
    })
    processChannel(worker).send({ jf: 'stop' })
  })
}
