/**
 * The console's public entry point: what `npm start` (scripts/start.ts) and the Supervisor use,
 * and the shapes of its API. Everything else in src/ stays internal; the page imports the API
 * from `@jwt-factory/console/api`, which bundles for the browser.
 */
export {
  ATTACKS,
  type AttackName,
  type BreakAnswer,
  type BreakRequest,
  type ControlState,
  type ProcessEvent,
  type RunAnswer,
  type RunRequest,
  type ScenarioNumber,
} from './api.ts'
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
