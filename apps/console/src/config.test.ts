import { join, resolve } from 'node:path'
import { ConfigError } from '@jwt-factory/config'
import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

const base = '/repo/apps/console'

describe('loadConfig', () => {
  it('defaults to the demo: loopback port 4000, the HTTPS ports of the README, the repository CA', () => {
    const config = loadConfig({}, base)
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 4000,
      urls: {
        factory: 'https://localhost:5443',
        servicea: 'https://localhost:3443',
        serviceb: 'https://localhost:8443',
        servicec: 'https://localhost:9443',
      },
      certsDir: '/repo/certs',
      curlCaFile: 'certs/ca.pem',
      curlClientSecretsDir: 'data/client-secrets',
      webDir: '/repo/apps/console/dist/web',
      demoUser: { name: 'viewer' },
    })
  })

  it('names a CA outside the repository by its full path, for a curl run anywhere', () => {
    expect(loadConfig({ CERTS_DIR: '/tmp/c' }, base).curlCaFile).toBe(join('/tmp/c', 'ca.pem'))
    expect(loadConfig({ CLIENT_SECRETS_DIR: '/tmp/s' }, base).curlClientSecretsDir).toBe('/tmp/s')
    expect(loadConfig({ CERTS_DIR: 'x' }, base).certsDir).toBe(resolve(base, 'x'))
  })

  it('refuses a CONSOLE_HOST beyond loopback, and lists every bad variable at once', () => {
    expect(loadConfig({ CONSOLE_HOST: '::1' }, base).host).toBe('::1')
    let error: unknown
    try {
      loadConfig({ CONSOLE_HOST: '0.0.0.0', CONSOLE_PORT: 'x', SERVICEA_URL: 'nope' }, base)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(ConfigError)
    const { problems } = error as ConfigError
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'CONSOLE_HOST',
      'CONSOLE_PORT',
      'SERVICEA_URL',
    ])
  })
})
