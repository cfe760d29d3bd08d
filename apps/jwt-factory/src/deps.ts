import type { Logger } from '@jwt-factory/server'
import type { FactoryConfig } from './config.ts'
import type { FileKeyStore } from './keys/file-key-store.ts'

/** What the factory's routes are built from; tests pass their own. */
export interface FactoryDeps {
  keyStore: FileKeyStore
  logger: Logger
  /** The clock; tests move it instead of sleeping. */
  now?: () => Date
}

export interface FactoryContext extends FactoryDeps {
  config: FactoryConfig
  now: () => Date
}
