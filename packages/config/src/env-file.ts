import { readFileSync } from 'node:fs'
import { parse } from 'dotenv'

/**
 * An app's `.env` file merged under the process environment, without changing `process.env`:
 * variables already set (by the shell, a test or `npm start`) win over the file, so one file
 * serves as the defaults everywhere. A missing file reads as empty.
 */
export function readEnvFile(
  path: string,
  env: NodeJS.ProcessEnv = process.env,
): Record<string, string | undefined> {
  let parsed: Record<string, string> = {}
  try {
    parsed = parse(readFileSync(path))
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return { ...parsed, ...env }
}
