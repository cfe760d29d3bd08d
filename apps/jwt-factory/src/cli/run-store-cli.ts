import { ConfigError } from '@jwt-factory/config'
import type { FactoryConfig } from '../config.ts'
import { copyStore, StoreCopyError } from '../stores/copy-store.ts'
import { openStoreSources, type StoreSources } from '../stores/factory-store.ts'
import { StoreUnavailableError } from '../stores/store-unavailable.ts'
import { silentLogger, type Logger } from '@jwt-factory/server'
import { runCli, type CliCommand, type CliOutput, type CliProgram } from './run-cli.ts'

interface StoreCliContext {
  config: FactoryConfig
  logger: Logger
  overwrite: boolean
  out: (text: string) => void
}

/** Both ends of a move, on one configuration: its files, and its etcd (ETCD_*, STORE_KEK_FILE). */
async function withBoth<T>(
  ctx: StoreCliContext,
  direction: 'import' | 'export',
  run: (files: StoreSources, etcd: StoreSources) => Promise<T>,
): Promise<T> {
  const { config, logger } = ctx
  const files = await openStoreSources({ ...config, store: 'files' }, { logger })
  // Only an import into a fresh etcd makes a key-encryption key: an export without the right
  // one would read nothing.
  const createKek = direction === 'import'
  const etcd = await openStoreSources({ ...config, store: 'etcd' }, { logger, createKek })
  try {
    return await run(files, etcd)
  } finally {
    await etcd.close()
  }
}

function moveCommand(direction: 'import' | 'export'): CliCommand<StoreCliContext> {
  const into = direction === 'import' ? 'etcd' : 'the files'
  return {
    usage: `${direction} [--overwrite]   (everything from ${direction === 'import' ? 'the files into etcd' : 'etcd into the files'})`,
    args: 0,
    async run(ctx) {
      const report = await withBoth(ctx, direction, (files, etcd) =>
        direction === 'import'
          ? copyStore(files, etcd, { overwrite: ctx.overwrite })
          : copyStore(etcd, files, { overwrite: ctx.overwrite }),
      )
      const keys = report.keyIds.join(', ') || 'no keys'
      ctx.out(
        `copied into ${into}: ${keys}; ${report.users} user(s), ${report.clients} client(s), ${report.revocations} revocation(s)`,
      )
    },
  }
}

function storeProgram(config: FactoryConfig, logger: Logger): CliProgram<StoreCliContext> {
  return {
    name: 'store',
    commands: { import: moveCommand('import'), export: moveCommand('export') },
    options: { overwrite: { type: 'boolean' } },
    notes: [
      'The files are KEYS_DIR, USERS_FILE, CLIENTS_FILE and REVOCATIONS_FILE; etcd is ETCD_ENDPOINTS',
      'under ETCD_PREFIX, sealed with STORE_KEK_FILE (apps/jwt-factory/.env). A target that holds',
      'anything is refused unless --overwrite. Stop the factories first: a move is not a sync.',
    ],
    reported: (err) =>
      err instanceof StoreCopyError ||
      err instanceof StoreUnavailableError ||
      err instanceof ConfigError,
    context: (values, out) => ({ config, logger, overwrite: values.overwrite === true, out }),
  }
}

/** `npm run store -- import|export`; answers the exit code: 0 done, 1 failed, 2 bad command line. */
export function runStoreCli(
  argv: string[],
  config: FactoryConfig,
  io: CliOutput,
  logger: Logger = silentLogger(),
): Promise<number> {
  return runCli(storeProgram(config, logger), argv, io)
}
