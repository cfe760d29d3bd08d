export { ConfigError, parseEnv } from './config-error.ts'
export { envInteger, envPort, envString, envEnum, envUrl } from './env-fields.ts'
export { readEnvFile } from './env-file.ts'
