import { fileURLToPath } from 'node:url'
import type { HttpClient } from '@jwt-factory/http-client'
import { silentLogger } from '@jwt-factory/server'
import { loadConfig, type ConsoleConfig } from '../src/config.ts'
import type { ProcessController } from '../src/process-controller.ts'
import { startConsole, type RunningConsole } from '../src/start-console.ts'

export const consoleDir = fileURLToPath(new URL('..', import.meta.url))

/** The console's config as a test sets it: a free port, and the variables given. */
export function testConfig(env: Record<string, string> = {}): ConsoleConfig {
  return loadConfig({ CONSOLE_PORT: '0', ...env }, consoleDir)
}

/** The console served on a free loopback port, driving `processes`, as npm start serves it. */
export function serveConsole(
  config: ConsoleConfig,
  processes: ProcessController,
  http: HttpClient,
): Promise<RunningConsole> {
  return startConsole(config, { processes, http, logger: silentLogger() })
}
