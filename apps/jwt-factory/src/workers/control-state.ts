import { JWKS_FAULTS, type JwksFaultMode } from '../keys/jwks-fault.ts'
import type { IpcHost } from './ipc-host.ts'

/**
 * The console's control state that lives in the factory's memory, kept by the primary so it
 * holds at every worker: a worker that sets it calls CONTROL_JWKS_FAULT, the primary publishes it
 * under the same name to every worker, and a worker that starts asks CONTROL_JWKS_FAULT_NOW.
 */
export const CONTROL_JWKS_FAULT = 'control.jwksFault'
export const CONTROL_JWKS_FAULT_NOW = 'control.jwksFault.now'

export function hostControlState(host: IpcHost): void {
  let jwksFault: JwksFaultMode = 'none'
  host.handle(CONTROL_JWKS_FAULT, (mode: JwksFaultMode) => {
    if (!JWKS_FAULTS.includes(mode)) throw new TypeError(`not a JWKS fault: ${String(mode)}`)
    jwksFault = mode
    host.publish(CONTROL_JWKS_FAULT, mode)
  })
  host.handle(CONTROL_JWKS_FAULT_NOW, () => jwksFault)
}
