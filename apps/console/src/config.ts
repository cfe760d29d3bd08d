import { join, isAbsolute, relative, resolve, sep } from 'node:path'
import { envEnum, envInteger, envPort, envString, envUrl, parseEnv } from '@jwt-factory/config'
import { isLoopbackHost, LOG_LEVELS } from '@jwt-factory/server'
import { z } from 'zod'

const trimSlash = (url: string) => url.replace(/\/+$/, '')

/**
 * Each variable once: its rule and default, then its place in the config. Relative folders are
 * resolved against `baseDir` (apps/console, where its .env lives); the repository is two above.
 */
function configSchema(baseDir: string) {
  const path = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p))
  const repository = resolve(baseDir, '../..')
  return z
    .object({
      // The console stops and freezes processes and crafts tokens: never beyond this machine.
      CONSOLE_HOST: envString('127.0.0.1').refine(isLoopbackHost, 'must be a loopback address'),
      CONSOLE_PORT: envPort(4000),
      FACTORY_URL: envUrl('https://localhost:5443'),
      SERVICEA_URL: envUrl('https://localhost:3443'),
      SERVICEB_URL: envUrl('https://localhost:8443'),
      SERVICEC_URL: envUrl('https://localhost:9443'),
      CERTS_DIR: envString('../../certs'),
      // Where npm start writes each service's OAuth client secret: the hops' curls read them.
      CLIENT_SECRETS_DIR: envString('../../data/client-secrets'),
      DEMO_USER: envString('viewer'),
      DEMO_PASSWORD: envString('viewer-demo-password'),
      RUN_TIMEOUT_MS: envInteger(30_000, 100, 600_000),
      STATE_TIMEOUT_MS: envInteger(1000, 50, 60_000),
      LOG_LEVEL: envEnum(LOG_LEVELS, 'warn'),
    })
    .transform((e) => {
      // As a learner's shell at the repository's root names a file; in full when it is elsewhere.
      const forShell = (file: string) => {
        const fromRepository = relative(repository, file)
        return fromRepository.startsWith(`..${sep}`) ? file : fromRepository
      }
      return {
        host: e.CONSOLE_HOST,
        port: e.CONSOLE_PORT,
        urls: Object.freeze({
          factory: trimSlash(e.FACTORY_URL),
          servicea: trimSlash(e.SERVICEA_URL),
          serviceb: trimSlash(e.SERVICEB_URL),
          servicec: trimSlash(e.SERVICEC_URL),
        }),
        certsDir: path(e.CERTS_DIR),
        /** The CA as a learner's shell at the repository's root names it, for `curl --cacert`. */
        curlCaFile: forShell(join(path(e.CERTS_DIR), 'ca.pem')),
        /** The services' client secrets the same way, for the curl of a token exchange. */
        curlClientSecretsDir: forShell(path(e.CLIENT_SECRETS_DIR)),
        /** The built page (scripts/build/bundle-apps.ts writes it). */
        webDir: resolve(baseDir, 'dist/web'),
        demoUser: Object.freeze({ name: e.DEMO_USER, password: e.DEMO_PASSWORD }),
        runTimeoutMs: e.RUN_TIMEOUT_MS,
        stateTimeoutMs: e.STATE_TIMEOUT_MS,
        logLevel: e.LOG_LEVEL,
      }
    })
}

export type ConsoleConfig = Readonly<z.output<ReturnType<typeof configSchema>>>

/** Validates the console's environment once, at start. Pure: reads only `env`. */
export function loadConfig(
  env: Record<string, string | undefined>,
  baseDir: string,
  source = 'apps/console/.env',
): ConsoleConfig {
  return parseEnv(configSchema(baseDir), env, source)
}
