import { describe, expect, it } from 'vitest'
import { loadConfig } from './config.ts'

describe('loadConfig: the factory issuers a service checks', () => {
  it('defaults both from FACTORY_URL, as the factory derives them from its PUBLIC_URL', () => {
    expect(loadConfig({}, '/x')).toMatchObject({
      factoryIssuer: 'https://localhost:5443',
      factoryUserIssuer: 'https://localhost:5443/users',
    })
    expect(loadConfig({ FACTORY_URL: 'https://127.0.0.1:6443/' }, '/x')).toMatchObject({
      factoryIssuer: 'https://127.0.0.1:6443',
      factoryUserIssuer: 'https://127.0.0.1:6443/users',
    })
  })

  it('takes FACTORY_ISSUER and FACTORY_USER_ISSUER when the factory is reached by another name', () => {
    const env = {
      FACTORY_URL: 'https://jwt-factory.internal:5443',
      FACTORY_ISSUER: 'https://factory.example',
      FACTORY_USER_ISSUER: 'https://factory.example/users',
    }
    expect(loadConfig(env, '/x')).toMatchObject({
      factoryUrl: 'https://jwt-factory.internal:5443',
      factoryIssuer: 'https://factory.example',
      factoryUserIssuer: 'https://factory.example/users',
    })
    // Empty, as a cleared variable is: the default again.
    expect(loadConfig({ FACTORY_ISSUER: '', FACTORY_USER_ISSUER: ' ' }, '/x')).toMatchObject({
      factoryIssuer: 'https://localhost:5443',
      factoryUserIssuer: 'https://localhost:5443/users',
    })
  })
})
