/** A failure the users CLI reports as one line on stderr and an exit code: 1 failed, 2 usage. */
export class CliError extends Error {
  override name = 'CliError'
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message)
  }
}

export const usageError = (message: string) => new CliError(message, 2)
