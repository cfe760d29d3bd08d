/**
 * The console's public entry point: what `npm start` (scripts/start.ts) and the Supervisor use.
 * Everything else in src/ stays internal.
 */
export { createConsoleApp, type ConsoleApp } from './app.ts'
export { loadConfig, type ConsoleConfig } from './config.ts'
export type { ConsoleDeps } from './deps.ts'
export type { ConsoleEvent, LogEvent } from './events/console-event.ts'
export { startConsole, type RunningConsole } from './start-console.ts'
export type {
  ProcessController,
  ProcessInfo,
  ProcessListener,
  ProcessState,
} from './process-controller.ts'
