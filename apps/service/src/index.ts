/**
 * The service app's public entry point: what scripts and other apps' tests use, and the shapes
 * of GET /control/state the teaching console reads. `main.ts` runs the app and `keys-cli.ts` is
 * `npm run keys`; everything else here stays internal.
 */
export { createServiceApp } from './app.ts'
export {
  loadConfig,
  SCENARIO_CALLER,
  SERVICE_NAMES,
  type ServiceConfig,
  type ServiceName,
} from './config.ts'
export type { CallerState, KeySetState, ServiceState } from './control-routes.ts'
export type { ServiceDeps } from './deps.ts'
export type { CachedTokenEntry } from './peers/token-cache.ts'
export {
  ensureScenario3Keys,
  Scenario3Keys,
  writeScenario3Keys,
  type Scenario3KeysOptions,
} from './scenarios/scenario3-keys.ts'
