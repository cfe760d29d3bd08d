import { availableParallelism } from 'node:os'
import { ConfigError } from '@jwt-factory/config'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

/** The problems loadConfig names for `env`; it must refuse it. */
const problems = (env: Record<string, string>) => {
  try {
    loadConfig(env, '/x')
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as ConfigError).problems
  }
  throw new Error('expected a ConfigError')
}

describe('loadConfig: users and login', () => {
  it('defaults: data/users.json and policy.json resolved against the app folder, the user key beside the service keys', () => {
    const config = loadConfig({}, '/srv/repo/apps/jwt-factory')
    expect(config.usersFile).toBe('/srv/repo/data/users.json')
    expect(config.clientsFile).toBe('/srv/repo/data/clients.json')
    expect(config.policyFile).toBe('/srv/repo/apps/jwt-factory/policy.json')
    expect(config.userKeysDir).toBe('/srv/repo/keys/users')
    expect(config.userAudiences).toEqual(['jwt-factory', 'servicea', 'serviceb', 'servicec'])
    expect(config).toMatchObject({
      totpChallengeSeconds: 120,
      loginFailureWindowSeconds: 300,
      loginMaxFailuresPerUser: 5,
      loginMaxFailuresPerAddress: 20,
    })
  })

  it('reads USER_AUDIENCES as a comma-separated list, the first being the default', () => {
    expect(loadConfig({ USER_AUDIENCES: ' app , other,app' }, '/x').userAudiences).toEqual([
      'app',
      'other',
    ])
  })

  it('names every bad variable at once', () => {
    const err = (() => {
      try {
        loadConfig(
          {
            USER_AUDIENCES: 'a,,b',
            LOGIN_MAX_FAILURES_PER_USER: '0',
            TOTP_CHALLENGE_SECONDS: 'soon',
          },
          '/x',
        )
      } catch (e) {
        return e
      }
    })()
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as ConfigError).message
    expect(message).toContain('USER_AUDIENCES')
    expect(message).toContain('LOGIN_MAX_FAILURES_PER_USER')
    expect(message).toContain('TOTP_CHALLENGE_SECONDS')
  })
})

describe('loadConfig: exposure beyond loopback', () => {
  const TOKEN = 'a'.repeat(20) + 'B'.repeat(20)
  const PUBLIC_URL = 'https://jwt-factory.example:5443'
  const problems = (env: Record<string, string>) => {
    try {
      loadConfig(env, '/x')
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError)
      return (e as ConfigError).message
    }
    throw new Error('expected a ConfigError')
  }

  it('is not exposed on loopback (127.0.0.1, 127.x, ::1, localhost), with or without an admin token', () => {
    for (const HOST of ['127.0.0.1', '127.8.9.10', '::1', 'localhost']) {
      expect(loadConfig({ HOST }, '/x')).toMatchObject({
        exposed: false,
        adminToken: undefined,
        adminTokenFile: undefined,
      })
    }
    expect(loadConfig({ ADMIN_TOKEN: TOKEN }, '/x').adminToken).toBe(TOKEN)
  })

  it('beyond loopback without an admin credential: an error naming ADMIN_TOKEN and ADMIN_TOKEN_FILE', () => {
    for (const HOST of ['0.0.0.0', '::', '192.0.2.10', 'factory.example']) {
      const message = problems({ HOST })
      expect(message).toContain(`ADMIN_TOKEN: required: HOST ${HOST} is beyond loopback`)
      expect(message).toContain('ADMIN_TOKEN_FILE')
    }
  })

  it('beyond loopback with ADMIN_TOKEN or ADMIN_TOKEN_FILE and PUBLIC_URL: exposed', () => {
    expect(loadConfig({ HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN, PUBLIC_URL }, '/x')).toMatchObject({
      exposed: true,
      adminToken: TOKEN,
      serviceIssuer: PUBLIC_URL,
    })
    expect(
      loadConfig({ HOST: '0.0.0.0', ADMIN_TOKEN_FILE: 'secrets/admin', PUBLIC_URL }, '/srv/app'),
    ).toMatchObject({
      exposed: true,
      adminTokenFile: '/srv/app/secrets/admin',
    })
  })

  it('beyond loopback without PUBLIC_URL: refused, naming it (the default issuer https://localhost would name each client itself)', () => {
    const message = problems({ HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN })
    expect(message).toContain('PUBLIC_URL: required: HOST 0.0.0.0 is beyond loopback')
    expect(loadConfig({ HOST: '127.0.0.1' }, '/x').publicUrl).toBe('https://localhost:5443')
  })

  it('refuses a short or malformed ADMIN_TOKEN, or both variables, without echoing the token', () => {
    const short = 'short-secret-value'
    const message = problems({ HOST: '0.0.0.0', ADMIN_TOKEN: short, PUBLIC_URL })
    expect(message).toContain('ADMIN_TOKEN: must be at least 32 characters')
    expect(message).not.toContain(short)
    const spaced = `${TOKEN} ${TOKEN}`
    expect(problems({ ADMIN_TOKEN: spaced })).not.toContain(TOKEN)
    expect(problems({ ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_FILE: '/f' })).toContain(
      'set ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both',
    )
  })
})

describe('loadConfig: PUBLIC_URL and the two issuers', () => {
  it('defaults to https://localhost:HTTPS_PORT: the service issuer, the user issuer beneath it, one token endpoint', () => {
    expect(loadConfig({ HTTPS_PORT: '6443' }, '/x')).toMatchObject({
      publicUrl: 'https://localhost:6443',
      serviceIssuer: 'https://localhost:6443',
      userIssuer: 'https://localhost:6443/users',
      endpoints: {
        token: 'https://localhost:6443/token',
        introspection: 'https://localhost:6443/introspect',
        revocation: 'https://localhost:6443/revoke',
      },
    })
  })

  it('takes a deployment name, its trailing slash dropped, and http:// only when set explicitly', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://factory.example/' }, '/x')).toMatchObject({
      serviceIssuer: 'https://factory.example',
      userIssuer: 'https://factory.example/users',
    })
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:5555' }, '/x').serviceIssuer).toBe(
      'http://127.0.0.1:5555',
    )
  })

  it.each([
    ['not a url', 'must be a URL'],
    ['ftp://factory.example', 'must be an https:// URL'],
    ['https://factory.example/factory', 'without a path, query or fragment'],
    ['https://factory.example/?a=1', 'without a path, query or fragment'],
    ['https://factory.example/#top', 'without a path, query or fragment'],
    ['https://admin@factory.example', 'must not carry a user name or password'],
  ])('refuses PUBLIC_URL=%s: %s', (PUBLIC_URL, message) => {
    const [problem, ...others] = problems({ PUBLIC_URL })
    expect(others).toEqual([])
    expect(problem).toMatch(/^PUBLIC_URL: /)
    expect(problem).toContain(message)
  })

  it('refuses ISSUER, naming PUBLIC_URL as what replaced it, beside every other problem', () => {
    const found = problems({ ISSUER: 'https://jwt-factory/', PORT: 'x' })
    expect(found).toHaveLength(2)
    const issuer = found.find((p) => p.startsWith('ISSUER: '))
    expect(issuer).toContain('is no longer read: PUBLIC_URL replaces it')
    expect(issuer).toContain('unset ISSUER')
    // Empty, as a cleared variable is, it is unset.
    expect(loadConfig({ ISSUER: '' }, '/x').serviceIssuer).toBe('https://localhost:5443')
  })
})

describe('loadConfig: WORKERS', () => {
  it('defaults to one process per core (at most 64), and takes 1 to 64', () => {
    expect(loadConfig({}, '/x').workers).toBe(Math.min(64, availableParallelism()))
    expect(loadConfig({ WORKERS: '1' }, '/x').workers).toBe(1)
    expect(loadConfig({ WORKERS: '64' }, '/x').workers).toBe(64)
  })

  it.each(['0', '65', '2.5', 'two', '-1'])('refuses WORKERS=%s, naming WORKERS', (WORKERS) => {
    const [problem, ...others] = problems({ WORKERS })
    expect(others).toEqual([])
    expect(problem).toMatch(/^WORKERS: /)
  })
})
