import cluster from 'node:cluster'
import type { FactoryConfig } from '../config.ts'
import { factoryLogger, readAdminCredential, readFactoryTls } from '../factory-start.ts'
import { JwksFault, type JwksFaultMode } from '../keys/jwks-fault.ts'
import { openFactory } from '../open-factory.ts'
import { serveFactory } from '../serve-factory.ts'
import { openStoreSources } from '../stores/factory-store.ts'
import { CONTROL_JWKS_FAULT, CONTROL_JWKS_FAULT_NOW } from './control-state.ts'
import { workerFileStore } from './file-store-sources.ts'
import { IpcClient } from './ipc-client.ts'
import { processChannel, type IpcMessage } from './ipc-message.ts'

/**
 * One worker of the factory (WORKERS > 1): the same app as one process, on the ports the
 * primary holds. Its store: with etcd, its own connection (one more factory on that etcd); with
 * files, the primary, over IPC. The primary has checked the configuration, so what it warned
 * about is read quietly here. It stops when the primary says so, or when the primary is gone.
 */
export async function runWorker(config: FactoryConfig): Promise<void> {
  const id = cluster.worker!.id
  const logger = factoryLogger(config).child({ worker: id })
  const channel = processChannel(process)
  const client = new IpcClient(channel)
  // Asked to stop before it serves (the primary stopping while this one starts): nothing to
  // finish, the primary's store keeps whatever this worker asked of it. Listened for first, so
  // no request to stop is missed.
  let stop: () => unknown = () => process.exit(0)
  const askedToStop = () => stop()
  channel.listen((message) => {
    if (message.jf === 'stop') askedToStop()
  })
  // The primary gone (killed): no worker outlives it. Calls waiting on it fail first (503), so
  // the requests in flight are answered and the stop does not wait them out.
  process.on('disconnect', () => {
    client.disconnected()
    askedToStop()
  })
  process.on('SIGTERM', askedToStop)
  // A Ctrl-C reaches every process of the terminal's group: the primary stops the workers.
  process.on('SIGINT', () => {})
  const adminCredential = await readAdminCredential(config, undefined)
  const tls = await readFactoryTls(config, undefined)
  const sources =
    config.store === 'files'
      ? workerFileStore(client, String(id), config, logger)
      : await openStoreSources(config, { logger, createKek: false })
  const share = (mode: JwksFaultMode) => {
    client.call(CONTROL_JWKS_FAULT, [mode]).catch((err: unknown) => {
      logger.warn(`the JWKS fault was not told to the other workers: ${(err as Error).message}`)
    })
  }
  const jwksFault = new JwksFault(config.jwksFaultDelayMs, { share })
  client.subscribe<JwksFaultMode>(CONTROL_JWKS_FAULT, (mode) => jwksFault.adopt(mode))
  jwksFault.adopt(await client.call<JwksFaultMode>(CONTROL_JWKS_FAULT_NOW, []))
  const factory = await openFactory({
    config,
    sources,
    logger,
    jwksFault,
    adminCredential,
    worker: id,
  })
  const servers = await serveFactory(config, factory.app, tls, logger)
  let stopping: Promise<void> | undefined
  stop = () =>
    (stopping ??= (async () => {
      factory.close()
      await Promise.all(servers.map((s) => s.close()))
      await sources.close()
      client.disconnected()
      logger.flush()
    })().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'the worker did not stop cleanly')
        process.exit(1)
      },
    ))
  channel.send({ jf: 'listening', urls: servers.map((s) => s.url) })
}

/** A worker that cannot start tells the primary why (it says it once for all), then exits 1. */
export function reportStartFailure(message: string): void {
  const failed: IpcMessage = { jf: 'failed', message }
  // Exits once the message is handed over (or could not be: the primary is gone).
  process.send!(failed, () => process.exit(1))
}
