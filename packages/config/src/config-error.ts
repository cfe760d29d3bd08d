import type { z } from 'zod'

/** Bad configuration: one error listing every bad variable by name, so one start shows them all. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code = 'ERR_CONFIG'
  constructor(
    readonly source: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid configuration in ${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`)
  }
}

/** Values of these variables are never echoed back in an error message. */
const SECRET_NAME = /SECRET|PASSWORD|CREDENTIAL|_TOKEN$|(^|_)(PRIVATE_)?KEY$/

/**
 * Validates environment variables once, at start, into a frozen typed object. Pure: it reads only
 * the `env` it is given, so tests pass plain objects.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  source: string,
): Readonly<z.output<S>> {
  const result = schema.safeParse(env)
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      const name = issue.path.map(String).join('.') || '(environment)'
      const value = issue.path.length === 1 && !SECRET_NAME.test(name) ? env[name] : undefined
      return `${name}: ${issue.message}${value === undefined ? '' : ` (got ${JSON.stringify(value)})`}`
    })
    throw new ConfigError(source, problems)
  }
  return Object.freeze(result.data)
}
