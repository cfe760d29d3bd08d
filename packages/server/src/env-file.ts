import { config } from 'dotenv'

/**
 * Loads an app's own `.env` file into `process.env`. Variables already set (by the shell, a test
 * or `npm start`) win over the file, so one file serves as the defaults everywhere.
 */
export function loadEnvFile(path: string): NodeJS.ProcessEnv {
  const result = config({ path, quiet: true })
  if (result.error && (result.error as NodeJS.ErrnoException).code !== 'ENOENT') throw result.error
  return process.env
}
