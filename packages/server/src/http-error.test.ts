import { describe, expect, it } from 'vitest'
import { createBaseApp } from './create-base-app.ts'
import {
  BadGatewayError,
  ConflictError,
  ForbiddenError,
  GatewayTimeoutError,
  HttpError,
  NotFoundError,
  ServiceUnavailableError,
} from './http-error.ts'
import { silentLogger } from './logger.ts'

describe('HttpError classes through the app', () => {
  const cases: [string, () => HttpError, number, Record<string, unknown>][] = [
    ['forbidden', () => new ForbiddenError('not yours'), 403, { code: 'ERR_FORBIDDEN' }],
    [
      'unknown key',
      () => new NotFoundError('no key x', 'ERR_UNKNOWN_KEY_ID'),
      404,
      { name: 'NotFoundError', code: 'ERR_UNKNOWN_KEY_ID' },
    ],
    ['conflict', () => new ConflictError('exists'), 409, { code: 'ERR_CONFLICT' }],
    [
      'bad gateway',
      () => new BadGatewayError('serviceb', 'serviceb refused'),
      502,
      { name: 'BadGatewayError', code: 'ERR_BAD_GATEWAY', hop: 'serviceb' },
    ],
    [
      'timeout',
      () => new GatewayTimeoutError('servicec', 'too slow'),
      504,
      { name: 'GatewayTimeoutError', code: 'ERR_GATEWAY_TIMEOUT', hop: 'servicec' },
    ],
    [
      'unavailable',
      () => new ServiceUnavailableError('keys'),
      503,
      { name: 'ServiceUnavailableError', code: 'ERR_UNAVAILABLE' },
    ],
  ]

  it.each(cases)('%s', async (_label, make, status, shape) => {
    const app = createBaseApp({ logger: silentLogger() })
    const err = make()
    app.get('/x', () => {
      throw err
    })
    const res = await app.request('/x')
    expect(res.status).toBe(status)
    const body = (await res.json()) as { error: Record<string, unknown> }
    expect(body.error).toMatchObject({ ...shape, name: err.name, message: err.message })
    expect(err.status).toBe(status)
  })

  it('keeps the cause for logs without sending it', async () => {
    const cause = new Error('ECONNREFUSED 10.0.0.7:8443')
    const err = new BadGatewayError('serviceb', 'serviceb unreachable', { cause })
    expect(err.cause).toBe(cause)
    expect(JSON.stringify(err.toJSON())).not.toContain('10.0.0.7')
  })
})
