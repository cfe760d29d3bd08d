import { ConfigError } from '@jwt-factory/server'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('loadConfig: users and login', () => {
  it('defaults: data/users.json and policy.json resolved against the app folder, the user key beside the service keys', () => {
    const config = loadConfig({}, '/srv/repo/apps/jwt-factory')
    expect(config.usersFile).toBe('/srv/repo/data/users.json')
    expect(config.policyFile).toBe('/srv/repo/apps/jwt-factory/policy.json')
    expect(config.userKeysDir).toBe('/srv/repo/keys/users')
    expect(config.userAudiences).toEqual(['jwt-factory', 'servicea', 'serviceb', 'servicec'])
    expect(config).toMatchObject({ totpChallengeSeconds: 120, loginFailureWindowSeconds: 300, loginMaxFailuresPerUser: 5, loginMaxFailuresPerAddress: 20 })
  })

  it('reads USER_AUDIENCES as a comma-separated list, the first being the default', () => {
    expect(loadConfig({ USER_AUDIENCES: ' app , other,app' }, '/x').userAudiences).toEqual(['app', 'other'])
  })

  it('names every bad variable at once', () => {
    const err = (() => {
      try {
        loadConfig({ USER_AUDIENCES: 'a,,b', LOGIN_MAX_FAILURES_PER_USER: '0', TOTP_CHALLENGE_SECONDS: 'soon' }, '/x')
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
