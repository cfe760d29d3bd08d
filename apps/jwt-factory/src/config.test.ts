import { ConfigError } from '@jwt-factory/config'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

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

  it('beyond loopback with ADMIN_TOKEN or ADMIN_TOKEN_FILE: exposed', () => {
    expect(loadConfig({ HOST: '0.0.0.0', ADMIN_TOKEN: TOKEN }, '/x')).toMatchObject({
      exposed: true,
      adminToken: TOKEN,
    })
    expect(
      loadConfig({ HOST: '0.0.0.0', ADMIN_TOKEN_FILE: 'secrets/admin' }, '/srv/app'),
    ).toMatchObject({
      exposed: true,
      adminTokenFile: '/srv/app/secrets/admin',
    })
  })

  it('refuses a short or malformed ADMIN_TOKEN, or both variables, without echoing the token', () => {
    const short = 'short-secret-value'
    const message = problems({ HOST: '0.0.0.0', ADMIN_TOKEN: short })
    expect(message).toContain('ADMIN_TOKEN: must be at least 32 characters')
    expect(message).not.toContain(short)
    const spaced = `${TOKEN} ${TOKEN}`
    expect(problems({ ADMIN_TOKEN: spaced })).not.toContain(TOKEN)
    expect(problems({ ADMIN_TOKEN: TOKEN, ADMIN_TOKEN_FILE: '/f' })).toContain(
      'set ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both',
    )
  })
})
