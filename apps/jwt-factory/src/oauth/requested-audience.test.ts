import { describe, expect, it } from 'vitest'
import { requestedAudience } from './requested-audience.ts'

const ask = (params: Record<string, string>) => () =>
  requestedAudience(new Map(Object.entries(params)))

describe('the audience a token request asks for', () => {
  it('audience (RFC 8693) and resource (RFC 8707): one is the aud string, two an array', () => {
    expect(ask({ audience: 'serviceb' })()).toBe('serviceb')
    expect(ask({ resource: 'urn:example:orders' })()).toBe('urn:example:orders')
    expect(ask({ audience: 'serviceb', resource: 'https://b.example/api' })()).toEqual([
      'serviceb',
      'https://b.example/api',
    ])
    expect(ask({ audience: 'https://b.example', resource: 'https://b.example' })()).toBe(
      'https://b.example',
    )
  })

  it('refuses none, a relative resource, a fragment and spaces with invalid_target', () => {
    const refused: Record<string, string>[] = [
      {},
      { resource: 'orders' },
      { resource: '/orders' },
      { resource: 'https://b.example/#top' },
      { resource: 'https://b.example/a b' },
      { audience: 'service b' },
      { audience: 'x'.repeat(201) },
    ]
    for (const params of refused) {
      expect(ask(params)).toThrow(expect.objectContaining({ code: 'invalid_target' }))
    }
  })
})
