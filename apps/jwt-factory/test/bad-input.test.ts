import { readdir } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { dirname } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  call,
  cleanUp,
  freePort,
  runFactoryToExit,
  startFactory,
  type FactoryProcess,
  type RunResult,
} from './factory-process.ts'
import { splitToken } from './token-parts.ts'

/**
 * Bad requests get a 4xx JSON answer that names the problem and never a stack trace, and leave
 * the process healthy; bad configuration stops the start with a message naming the variable.
 */
const MAX_TTL = 86_400
const BODY_LIMIT = 64 * 1024

let factory: FactoryProcess
/** Every response body of this file, checked for stack traces at the end. */
const bodies: string[] = []

async function request(path: string, init: RequestInit = {}) {
  const res = await call(`${factory.url}${path}`, init)
  bodies.push(res.text)
  return res
}

const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  request(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  })

interface ErrorBody {
  error: { name: string; code: string; message: string }
}

/** Asserts the status and the shape `{ error: { name, code, message } }`; returns the error. */
function expectError(
  res: { status: number; json: unknown },
  status: number,
  code?: string,
): ErrorBody['error'] {
  expect(res.status).toBe(status)
  const { error } = res.json as ErrorBody
  expect(error).toEqual({
    name: expect.any(String),
    code: code ?? expect.stringMatching(/^ERR_/),
    message: expect.any(String),
  })
  return error
}

beforeAll(async () => {
  factory = await startFactory({ env: { MAX_TOKEN_TTL_SECONDS: String(MAX_TTL) } })
  expect((await request('/keys/servicea')).status).toBe(201)
})

afterAll(async () => {
  await cleanUp()
})

describe('bad requests to the running factory', () => {
  it.each([
    ['traversal', '/keys/..%2F..%2Fetc'],
    ['two dots', '/keys/a..b'],
    ['65 characters', `/keys/${'a'.repeat(65)}`],
    ['a NUL byte', '/keys/%00x'],
  ])('refuses a keyId with %s: 400 ERR_INVALID_KEY_ID, no file written', async (_name, path) => {
    const before = await readdir(dirname(factory.keysDir))
    expectError(await request(path), 400, 'ERR_INVALID_KEY_ID')
    expectError(await request(path, { method: 'POST' }), 400, 'ERR_INVALID_KEY_ID')
    expect(await readdir(dirname(factory.keysDir))).toEqual(before)
    expect((await readdir(factory.keysDir)).sort()).toEqual([
      'servicea-private.pem',
      'servicea-public.pem',
    ])
  })

  it('accepts a 64-character keyId (the limit is 64, not less)', async () => {
    const path = `/keys/${'a'.repeat(64)}`
    expect((await request(path)).status).toBe(201)
    expect((await request(path, { method: 'DELETE' })).status).toBe(200)
  })

  it.each([
    ['POST /issueToken', () => post('/issueToken/nosuchsvc', '{"aud":"serviceb"}')],
    ['POST /verify', () => post('/verify/nosuchsvc', '{"token":"a.b.c","aud":"x","sub":"y"}')],
    ['GET /utils/publicKey', () => request('/utils/publicKey/nosuchsvc')],
  ])('answers %s for an unknown keyId with 404 naming GET /keys/<id>', async (_name, send) => {
    const error = expectError(await send(), 404, 'ERR_UNKNOWN_KEY_ID')
    expect(error.message).toContain('GET /keys/nosuchsvc')
  })

  it('refuses a body over 64 KiB by content-length: 413 (just under: read, and answered on its merits)', async () => {
    const under = JSON.stringify({
      token: 'x'.repeat(BODY_LIMIT - 100),
      aud: 'serviceb',
      sub: 'servicea',
    })
    expect((await post('/verify/servicea', under)).status).toBe(403)
    const over = JSON.stringify({ aud: 'x'.repeat(BODY_LIMIT) })
    expectError(await post('/issueToken/servicea', over), 413, 'ERR_PAYLOAD_TOO_LARGE')
  })

  it('refuses a chunked body that grows over 64 KiB: 413', async () => {
    // No content-length: 80 chunks of 1 KiB inside a JSON string, sent as they are pulled.
    const encoder = new TextEncoder()
    const parts = ['{"aud":"', ...Array.from({ length: 80 }, () => 'x'.repeat(1024)), '"}']
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const part = parts.shift()
        if (part === undefined) controller.close()
        else controller.enqueue(encoder.encode(part))
      },
    })
    const res = await request('/issueToken/servicea', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: stream,
      duplex: 'half',
    })
    expectError(res, 413, 'ERR_PAYLOAD_TOO_LARGE')
  })

  it('answers malformed JSON and a JSON array with 400 ERR_INVALID_JSON', async () => {
    expectError(await post('/issueToken/servicea', '{"aud":'), 400, 'ERR_INVALID_JSON')
    expectError(await post('/issueToken/servicea', '["aud"]'), 400, 'ERR_INVALID_JSON')
    expectError(await post('/verify/servicea', '{"token":'), 400, 'ERR_INVALID_JSON')
    expectError(await post('/verify/servicea', '[]'), 400, 'ERR_INVALID_JSON')
  })

  it('answers /verify without aud with 400 naming aud', async () => {
    const res = await post('/verify/servicea', '{"token":"a.b.c","sub":"servicea"}')
    const error = expectError(res, 400)
    expect(error.message).toContain('"aud"')
  })

  it('refuses an exp claim in the body: 400 naming "exp"', async () => {
    const res = await post('/issueToken/servicea', '{"aud":"b","exp":1}')
    const error = expectError(res, 400, 'ERR_INVALID_CLAIMS')
    expect(error.message).toContain('"exp"')
  })

  it('refuses X-Expire-Seconds: abc with 400', async () => {
    const res = await post('/issueToken/servicea', '{"aud":"b"}', { 'x-expire-seconds': 'abc' })
    const error = expectError(res, 400)
    expect(error.message).toContain('X-Expire-Seconds')
  })

  it('caps X-Expire-Seconds at MAX_TOKEN_TTL_SECONDS', async () => {
    const res = await post('/issueToken/servicea', '{"aud":"b"}', {
      'x-expire-seconds': '999999999',
      accept: 'application/json',
    })
    expect(res.status).toBe(200)
    const body = res.json as { access_token: string; expires_in: number }
    const { payload } = splitToken(body.access_token)
    expect(Number(payload.exp) - Number(payload.iat)).toBe(MAX_TTL)
    expect(body.expires_in).toBe(MAX_TTL)
  })

  it('answers an unknown route with a JSON 404', async () => {
    expectError(await request('/no/such/route'), 404, 'ERR_NOT_FOUND')
    expectError(await request('/keys', { method: 'PUT' }), 404, 'ERR_NOT_FOUND')
  })

  it('never answers with a stack trace', () => {
    expect(bodies.length).toBeGreaterThan(20)
    for (const body of bodies) {
      expect(body).not.toMatch(/\n\s*at /)
      expect(body).not.toMatch(/\bat .*:\d+:\d+/)
      expect(body).not.toContain('node_modules')
    }
  })

  it('is still healthy afterwards and still issues and verifies', async () => {
    expect(factory.child.exitCode).toBeNull()
    expect((await request('/healthz')).status).toBe(200)
    const token = await post('/issueToken/servicea', '{"aud":"serviceb"}')
    expect(token.status).toBe(200)
    const verified = await post(
      '/verify/servicea',
      JSON.stringify({ token: token.text, aud: 'serviceb', sub: 'servicea' }),
    )
    expect(verified.status).toBe(200)
    expect(verified.json).toMatchObject({ valid: true })
  })
})

describe('a start that must fail', () => {
  let badPort: RunResult
  let badAlgorithm: RunResult
  let badTtl: RunResult
  let portInUse: RunResult
  let busyPort: number
  let blocker: Server

  beforeAll(async () => {
    busyPort = await freePort()
    blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(busyPort, '127.0.0.1', () => resolve()))
    ;[badPort, badAlgorithm, badTtl, portInUse] = await Promise.all([
      runFactoryToExit({ env: { PORT: 'abc' } }),
      runFactoryToExit({ env: { ALGORITHM: 'HS256' } }),
      runFactoryToExit({ env: { TOKEN_TTL_SECONDS: '100000', MAX_TOKEN_TTL_SECONDS: '86400' } }),
      runFactoryToExit({ port: busyPort }),
    ])
  })

  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()))
  })

  it.each([
    ['PORT=abc', () => badPort, 'PORT'],
    ['ALGORITHM=HS256', () => badAlgorithm, 'ALGORITHM'],
    ['TOKEN_TTL_SECONDS above MAX_TOKEN_TTL_SECONDS', () => badTtl, 'TOKEN_TTL_SECONDS'],
  ])('%s: exit code 1, stderr names the variable', (_name, result, variable) => {
    const { code, stderr, stdout } = result()
    expect(code).toBe(1)
    expect(stderr).toMatch(new RegExp(`^\\s*- ${variable}: `, 'm'))
    expect(stderr).not.toMatch(/\n\s+at /)
    expect(stdout).not.toContain('listening')
  })

  it('a port already in use: exit code 1, a message naming the port', () => {
    expect(portInUse.code).toBe(1)
    expect(portInUse.stderr).toContain(`port ${busyPort}`)
    expect(portInUse.stderr).toContain('already in use')
    expect(portInUse.stderr).not.toMatch(/\n\s+at /)
  })
})
