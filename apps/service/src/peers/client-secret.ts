import { readFile } from 'node:fs/promises'
import type { Logger } from '@jwt-factory/server'

/**
 * This service's OAuth client secret, read once at start from CLIENT_SECRET_FILE (its first line).
 * Missing or unreadable: undefined, and a warning saying how to make one; the service still starts
 * and only what needs /token (scenario 6) answers 503.
 */
export async function readClientSecret(
  file: string,
  name: string,
  logger: Logger,
): Promise<string | undefined> {
  try {
    const secret = (await readFile(file, 'utf8')).split(/\r?\n/, 1)[0]!.trim()
    if (secret !== '') return secret
    logger.warn(`${file} is empty: ${missingSecretAdvice(name)}`)
  } catch (err) {
    logger.warn(
      `cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}): ${missingSecretAdvice(name)}`,
    )
  }
  return undefined
}

/** What to do about a missing secret; the 503 of scenario 6 says it too. */
export const missingSecretAdvice = (name: string) =>
  `run \`npm start\` (it makes the demo clients) or \`npm run clients -- add ${name}\` and write the secret to that file`
