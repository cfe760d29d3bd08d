import { isAbsolute, resolve } from 'node:path'
import { SIGNING_ALGORITHMS } from '@jwt-factory/jwt'
import {
  envEnum,
  envInteger,
  envPort,
  envString,
  LOG_FORMATS,
  LOG_LEVELS,
  parseEnv,
} from '@jwt-factory/server'
import { z } from 'zod'

const schema = z
  .object({
    HOST: envString('127.0.0.1'),
    PORT: envPort(5555),
    HTTPS_PORT: envPort(5443),
    CERTS_DIR: envString('../../certs'),
    ISSUER: envString('https://jwt-factory/'),
    ALGORITHM: envEnum(SIGNING_ALGORITHMS, 'ES256'),
    TOKEN_TTL_SECONDS: envInteger(3600, 1, 31_536_000),
    MAX_TOKEN_TTL_SECONDS: envInteger(86_400, 1, 31_536_000),
    CLOCK_TOLERANCE_SECONDS: envInteger(30, 0, 300),
    KEYS_DIR: envString('../../keys'),
    PUBLIC_URL: z.preprocess((v) => (v === '' ? undefined : v), z.url({ error: 'must be a URL' }).optional()),
    LOG_LEVEL: envEnum(LOG_LEVELS, 'info'),
    LOG_FORMAT: envEnum(LOG_FORMATS, 'pretty'),
  })
  .refine((c) => c.TOKEN_TTL_SECONDS <= c.MAX_TOKEN_TTL_SECONDS, {
    path: ['TOKEN_TTL_SECONDS'],
    message: 'must not be larger than MAX_TOKEN_TTL_SECONDS',
  })

export type FactoryEnv = z.output<typeof schema>

export interface FactoryConfig {
  readonly host: string
  readonly port: number
  /** HTTPS listener, served when CERTS_DIR holds the project's certificates. */
  readonly httpsPort: number
  readonly certsDir: string
  readonly issuer: string
  readonly algorithm: FactoryEnv['ALGORITHM']
  readonly tokenTtlSeconds: number
  readonly maxTokenTtlSeconds: number
  readonly clockToleranceSeconds: number
  readonly keysDir: string
  /** Where clients reach the factory; used in the discovery document. */
  readonly publicUrl: string
  readonly logLevel: FactoryEnv['LOG_LEVEL']
  readonly logFormat: FactoryEnv['LOG_FORMAT']
}

/**
 * Validates the factory's environment once, at start. Pure: reads only `env`; relative folders
 * are resolved against `baseDir` (the app folder, where `.env` lives), not the working directory.
 */
export function loadConfig(env: Record<string, string | undefined>, baseDir: string): FactoryConfig {
  const e = parseEnv(schema, env, 'apps/jwt-factory/.env')
  const host = e.HOST.includes(':') ? `[${e.HOST}]` : e.HOST
  return Object.freeze({
    host: e.HOST,
    port: e.PORT,
    httpsPort: e.HTTPS_PORT,
    certsDir: isAbsolute(e.CERTS_DIR) ? e.CERTS_DIR : resolve(baseDir, e.CERTS_DIR),
    issuer: e.ISSUER,
    algorithm: e.ALGORITHM,
    tokenTtlSeconds: e.TOKEN_TTL_SECONDS,
    maxTokenTtlSeconds: e.MAX_TOKEN_TTL_SECONDS,
    clockToleranceSeconds: e.CLOCK_TOLERANCE_SECONDS,
    keysDir: isAbsolute(e.KEYS_DIR) ? e.KEYS_DIR : resolve(baseDir, e.KEYS_DIR),
    publicUrl: (e.PUBLIC_URL ?? `http://${host}:${e.PORT}`).replace(/\/$/, ''),
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT,
  })
}
