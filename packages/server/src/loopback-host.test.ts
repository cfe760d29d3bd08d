import { describe, expect, it } from 'vitest'
import { isLoopbackHost } from './loopback-host.ts'

describe('isLoopbackHost', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', 'LOCALHOST'])(
    '%s is loopback',
    (host) => {
      expect(isLoopbackHost(host)).toBe(true)
    },
  )
  it.each([
    '0.0.0.0',
    '::',
    '192.168.1.10',
    'example.com',
    '127.0.0.1.example.com',
    '::ffff:10.0.0.1',
  ])('%s is not', (host) => {
    expect(isLoopbackHost(host)).toBe(false)
  })
})
