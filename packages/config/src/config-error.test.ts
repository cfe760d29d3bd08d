import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ConfigError, parseEnv } from './config-error.ts'
import { envEnum, envInteger, envPort, envString, envUrl } from './env-fields.ts'

/** Lists of allowed values, as an app's schema names them (the logger's, in the apps). */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const
const LOG_FORMATS = ['pretty', 'json'] as const

const schema = z.object({
  PORT: envPort(3000),
  WORKERS: envInteger(4, 1, 64),
  LOG_LEVEL: envEnum(LOG_LEVELS, 'info'),
  LOG_FORMAT: envEnum(LOG_FORMATS, 'pretty'),
  ISSUER: envString('jwt-factory'),
  JWKS_URL: envUrl('https://localhost:3000/.well-known/jwks.json'),
  ADMIN_PASSWORD: z.string().min(12, 'must be at least 12 characters').optional(),
  HMAC_SECRET_KEY: z.string().min(32, 'must be at least 32 characters').optional(),
  API_TOKEN: z.string().regex(/^tok_/, 'must start with tok_').optional(),
})

const defaults = {
  PORT: 3000,
  WORKERS: 4,
  LOG_LEVEL: 'info',
  LOG_FORMAT: 'pretty',
  ISSUER: 'jwt-factory',
  JWKS_URL: 'https://localhost:3000/.well-known/jwks.json',
}

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(schema, env, '.env')
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('parseEnv accepted the environment')
}

describe('parseEnv', () => {
  it('applies defaults for unset variables', () => {
    expect(parseEnv(schema, {}, '.env')).toEqual(defaults)
  })

  it('applies defaults for empty variables (dotenv KEY=)', () => {
    const env = { PORT: '', WORKERS: '', LOG_LEVEL: '', LOG_FORMAT: '', ISSUER: '', JWKS_URL: '' }
    expect(parseEnv(schema, env, '.env')).toEqual(defaults)
  })

  it('applies defaults for whitespace-only variables, never reading them as 0', () => {
    const env = { PORT: ' ', WORKERS: '\t', LOG_LEVEL: '  ', ISSUER: ' ' }
    expect(parseEnv(schema, env, '.env')).toEqual(defaults)
  })

  it('reads and coerces given values, ignoring unrelated variables', () => {
    const env = {
      PORT: '8443',
      WORKERS: '64',
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      ISSUER: 'me',
      JWKS_URL: 'https://a.test/jwks',
      PATH: '/usr/bin',
    }
    expect(parseEnv(schema, env, '.env')).toEqual({
      PORT: 8443,
      WORKERS: 64,
      LOG_LEVEL: 'debug',
      LOG_FORMAT: 'json',
      ISSUER: 'me',
      JWKS_URL: 'https://a.test/jwks',
    })
  })

  it('port 0 (any free port) and 65535 are ports', () => {
    expect(parseEnv(schema, { PORT: '0' }, '.env').PORT).toBe(0)
    expect(parseEnv(schema, { PORT: '65535' }, '.env').PORT).toBe(65_535)
  })

  it('returns a frozen object', () => {
    const config = parseEnv(schema, {}, '.env')
    expect(Object.isFrozen(config)).toBe(true)
    expect(() => {
      ;(config as { PORT: number }).PORT = 1
    }).toThrow(TypeError)
  })

  it('reports every bad variable in ONE ConfigError', () => {
    const err = configError({
      PORT: '70000',
      WORKERS: 'many',
      LOG_LEVEL: 'loud',
      JWKS_URL: 'not a url',
      ISSUER: 'fine',
    })
    expect(err).toMatchObject({ name: 'ConfigError', code: 'ERR_CONFIG', source: '.env' })
    expect(err.problems).toHaveLength(4)
    expect(err.message).toBe(
      [
        'invalid configuration in .env:',
        '  - PORT: must be at most 65535 (got "70000")',
        '  - WORKERS: must be a whole number (got "many")',
        '  - LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
        '  - JWKS_URL: must be a URL (got "not a url")',
      ].join('\n'),
    )
    expect(err.message).not.toContain('ISSUER')
  })

  it.each([
    ['PORT', '-1', 'must be at least 0'],
    ['PORT', '80.5', 'must be a whole number'],
    ['PORT', 'http', 'must be a whole number'],
    ['WORKERS', '0', 'must be at least 1'],
    ['WORKERS', '65', 'must be at most 64'],
    ['LOG_FORMAT', 'PRETTY', 'must be one of pretty, json'],
  ])('%s=%s: %s', (name, value, message) => {
    const err = configError({ [name]: value })
    expect(err.problems).toEqual([`${name}: ${message} (got ${JSON.stringify(value)})`])
  })

  it('never echoes values of secret-looking variables, but still names them', () => {
    const secrets = {
      ADMIN_PASSWORD: 'hunter2',
      HMAC_SECRET_KEY: 'short-secret',
      API_TOKEN: 'abc123',
    }
    const err = configError({ ...secrets, PORT: 'x' })
    expect(err.problems).toEqual([
      'PORT: must be a whole number (got "x")',
      'ADMIN_PASSWORD: must be at least 12 characters',
      'HMAC_SECRET_KEY: must be at least 32 characters',
      'API_TOKEN: must start with tok_',
    ])
    for (const value of Object.values(secrets)) expect(err.message).not.toContain(value)
  })

  it('reports a problem with the whole environment without a variable name', () => {
    const refined = z
      .object({ A: envString('a'), B: envString('b') })
      .refine((env) => env.A !== env.B, 'A and B must differ')
    expect(() => parseEnv(refined, { A: 'x', B: 'x' }, 'test')).toThrow(
      'invalid configuration in test:\n  - (environment): A and B must differ',
    )
  })
})

describe('envInteger reads plain decimal numbers only', () => {
  it('refuses hexadecimal, exponent and padded values instead of reading them as numbers', () => {
    const schema = z.object({ PORT: envPort(5555) })
    for (const value of ['0x1F90', '1e3', ' 8080 ', '80.5']) {
      expect(() => parseEnv(schema, { PORT: value }, 'test'), value).toThrow(ConfigError)
    }
    expect(parseEnv(schema, { PORT: '8080' }, 'test').PORT).toBe(8080)
  })

  it('does not echo a value whose name says it is a key', () => {
    const schema = z.object({ SIGNING_KEY: z.string().min(100) })
    expect(() => parseEnv(schema, { SIGNING_KEY: 'secret-pem-body' }, 'test')).toThrow(
      /SIGNING_KEY/,
    )
    expect(() => parseEnv(schema, { SIGNING_KEY: 'secret-pem-body' }, 'test')).not.toThrow(
      /secret-pem-body/,
    )
  })
})
