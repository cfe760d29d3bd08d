/**
 * What other workspaces use of the factory (`@jwt-factory/factory`): the scripts that configure,
 * seed and start it, the service app's tests that write users for it, and the teaching console
 * (the shape of GET /control/state, the JWKS faults). Everything else in src/ is the factory's
 * own; main.ts, the process, is not exported.
 */
export { createFactoryApp, type FactoryApp } from './app.ts'
export { loadConfig, type FactoryConfig } from './config.ts'
export type { FactoryDeps } from './deps.ts'
export type { FactoryErrorCode } from './factory-error-code.ts'
export { readAdminToken } from './exposure/admin-credential.ts'
export { JWKS_FAULTS, type JwksFaultMode } from './keys/jwks-fault.ts'
export type { FactoryControlState, KeyState } from './routes/control.ts'
export { isLoopbackHost } from '@jwt-factory/server'
export { newTotpSecret, totpCode } from './login/totp.ts'
export { ensureDemoUsers } from './users/demo-users.ts'
export { ensureDemoClients } from './clients/demo-clients.ts'
export { hashPassword } from './users/password-hash.ts'
export type { UserRecord } from './users/user-record.ts'
export { updateUsersFile, UsersFileError } from './users/users-file.ts'
