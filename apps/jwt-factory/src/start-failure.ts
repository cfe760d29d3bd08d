import { ConfigError } from '@jwt-factory/config'
import { ListenError } from '@jwt-factory/server'
import { ClientsFileError } from './clients/clients-file.ts'
import { RevocationsFileError } from './oauth/revocations-file.ts'
import { FileLockTimeoutError } from './stores/file-lock.ts'
import { StoreUnavailableError } from './stores/store-unavailable.ts'
import { UsersFileError } from './users/users-file.ts'

const OPERATOR_ERRORS = [
  ConfigError,
  ListenError,
  UsersFileError,
  ClientsFileError,
  RevocationsFileError,
  StoreUnavailableError,
  FileLockTimeoutError,
]

/**
 * What a failed start (the factory's, or a CLI's) says in one line when the operator can fix it:
 * a bad setting, a port in use, a file that cannot be used, the store out of reach. Undefined for
 * anything else, which is a bug and keeps its stack.
 */
export function operatorErrorMessage(err: unknown): string | undefined {
  return OPERATOR_ERRORS.some((type) => err instanceof type) ? (err as Error).message : undefined
}

/** The last words of a CLI whose start failed: one line when the operator can fix it. */
export function reportCliFailure(cli: string, err: unknown): void {
  const message = operatorErrorMessage(err)
  console.error(message === undefined ? err : `${cli}: ${message}`)
  process.exitCode = 1
}
