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

/** An app's own codes, as an app declares them beside the shared HttpErrorCode. */
type AppCode = 'ERR_UNKNOWN_WIDGET'

describe('HttpError classes through the app', () => {
  const cases: [string, () => HttpError, number, Record<string, unknown>][] = [
    ['forbidden', () => new ForbiddenError('not yours'), 403, { code: 'ERR_FORBIDDEN' }],
    [
      "an app's own code",
      () => new NotFoundError<AppCode>('no widget x', 'ERR_UNKNOWN_WIDGET'),
      404,
      { name: 'NotFoundError', code: 'ERR_UNKNOWN_WIDGET' },
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

  it('takes only the codes an app declared (tsc checks the @ts-expect-error lines)', () => {
    // @ts-expect-error no union declares this code, so it is not inferred from the argument
    const undeclared = new NotFoundError('no widget x', 'ERR_UNKNOWN_WIDGET')
    // @ts-expect-error an app's union does not take codes it does not list
    const misspelled = new NotFoundError<AppCode>('no widget x', 'ERR_UNKNOWN_WIDGETS')
    expect([undeclared.code, misspelled.code]).toEqual([
      'ERR_UNKNOWN_WIDGET',
      'ERR_UNKNOWN_WIDGETS',
    ])
  })

  it('keeps the cause for logs without sending it', async () => {
    const cause = new Error('ECONNREFUSED 10.0.0.7:8443')
    const err = new BadGatewayError('serviceb', 'serviceb unreachable', { cause })
    expect(err.cause).toBe(cause)
    expect(JSON.stringify(err.toJSON())).not.toContain('10.0.0.7')
  })
})
