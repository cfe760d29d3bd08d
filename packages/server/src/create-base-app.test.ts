import { HTTPException } from 'hono/http-exception'
import { describe, expect, it } from 'vitest'
import { addLogFields, createBaseApp, DEFAULT_BODY_LIMIT_BYTES } from './create-base-app.ts'
import type { LogFormat, LogLevel } from './logger.ts'
import { BadRequestError, TooManyRequestsError, UnauthorizedError } from './http-error.ts'
import { readJsonObject } from './json-body.ts'
import { readBodyText } from './request-body.ts'
import { createLogger } from './logger.ts'

const LIMIT = 100
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** A logger whose lines land in an array: the destination pino is given, not a mock of pino. */
function collectingLogger(format: LogFormat = 'json', level: LogLevel = 'info') {
  const lines: string[] = []
  const destination = { write: (line: string) => lines.push(line) }
  const logger = createLogger({ name: 'test', level, format, destination })
  const entries = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  return { logger, lines, entries }
}

function testApp(format: LogFormat = 'json') {
  const log = collectingLogger(format)
  const app = createBaseApp({ logger: log.logger, bodyLimitBytes: LIMIT })
  let reached = 0
  app.get('/ok', (c) => c.json({ ok: true, rid: c.get('requestId') }))
  app.get('/bad', () => {
    throw new BadRequestError<'ERR_INVALID_WIDGET'>(
      'widget must be a widget id',
      'ERR_INVALID_WIDGET',
    )
  })
  app.get('/unauthorized', () => {
    throw new UnauthorizedError('token expired')
  })
  app.get('/slow-down', () => {
    throw new TooManyRequestsError('slow down', 2.2)
  })
  app.get('/hono-exception', () => {
    throw new HTTPException(401, { message: 'from hono' })
  })
  app.get('/boom', () => {
    throw new Error('database password is hunter2')
  })
  app.get('/things/:id', (c) => {
    addLogFields(c, { keyId: c.req.param('id'), sub: 'servicea', token: 'eyJ.secret.token' })
    addLogFields(c, { aud: 'serviceb' })
    return c.text('thing')
  })
  app.post('/json', async (c) => {
    const body = await readJsonObject(c)
    reached++
    return c.json(body)
  })
  app.post('/json-or-empty', async (c) => c.json(await readJsonObject(c, { allowEmpty: true })))
  app.post('/echo', async (c) => c.text(await readBodyText(c)))
  return { app, ...log, reached: () => reached }
}

const json = (body: string, type = 'application/json') => ({
  method: 'POST',
  body,
  headers: { 'content-type': type },
})

const post = (body: string, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body,
  headers,
})

/** A body sent in chunks with no content-length, as HTTP/1.1 chunked encoding arrives. */
function chunked(chunks: string[]): RequestInit {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk))
      controller.close()
    },
  })
  return {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
    duplex: 'half',
  } as RequestInit
}

describe('createBaseApp: errors', () => {
  it('an HttpError keeps its status, code and message', async () => {
    const { app } = testApp()
    const res = await app.request('/bad')
    expect(res.status).toBe(400)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      error: {
        name: 'BadRequestError',
        code: 'ERR_INVALID_WIDGET',
        message: 'widget must be a widget id',
      },
    })
  })

  it('a 401 keeps its own name and code', async () => {
    const res = await testApp().app.request('/unauthorized')
    expect(res.status).toBe(401)
    expect(await res.json()).toEqual({
      error: { name: 'UnauthorizedError', code: 'ERR_UNAUTHORIZED', message: 'token expired' },
    })
  })

  it("an HttpError's headers are sent (Retry-After, rounded up)", async () => {
    const res = await testApp().app.request('/slow-down')
    expect(res.status).toBe(429)
    expect(res.headers.get('retry-after')).toBe('3')
    expect(await res.json()).toMatchObject({ error: { code: 'ERR_TOO_MANY_REQUESTS' } })
  })

  it("hono's HTTPException keeps its status in the JSON shape", async () => {
    const res = await testApp().app.request('/hono-exception')
    expect(res.status).toBe(401)
    expect(await res.json()).toMatchObject({ error: { name: 'HttpError', message: 'from hono' } })
  })

  it('any other error is a generic 500 that reveals nothing, logged with its stack', async () => {
    const { app, entries } = testApp()
    const res = await app.request('/boom')
    expect(res.status).toBe(500)
    const text = await res.text()
    expect(JSON.parse(text)).toEqual({
      error: { name: 'InternalError', code: 'ERR_INTERNAL', message: 'internal error' },
    })
    expect(text).not.toContain('hunter2')
    expect(text).not.toContain('stack')
    expect(text).not.toMatch(/\.ts:\d+/)
    const logged = entries().find((e) => e.msg === 'unhandled error') as {
      level: number
      err: { stack: string }
      rid: string
    }
    expect(logged.level).toBe(50)
    expect(logged.err.stack).toContain('database password is hunter2')
    expect(logged.rid).toBe(res.headers.get('x-request-id'))
  })

  it('an unknown route is a JSON 404', async () => {
    const res = await testApp().app.request('/no/such/route?x=1')
    expect(res.status).toBe(404)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    expect(await res.json()).toEqual({
      error: {
        name: 'NotFoundError',
        code: 'ERR_NOT_FOUND',
        message: 'no route for GET /no/such/route',
      },
    })
  })

  it('a 404 for a very long path names a truncated path', async () => {
    const res = await testApp().app.request(`/${'a'.repeat(500)}`)
    const { error } = (await res.json()) as { error: { message: string } }
    expect(error.message).toBe(`no route for GET /${'a'.repeat(199)}…`)
  })

  it('a wrong method on a known path is a JSON 404 too', async () => {
    const res = await testApp().app.request('/ok', { method: 'DELETE' })
    expect(res.status).toBe(404)
    expect(await res.json()).toMatchObject({ error: { message: 'no route for DELETE /ok' } })
  })

  it('refuses a bad body limit at creation', () => {
    const { logger } = collectingLogger()
    for (const bodyLimitBytes of [0, -1, 1.5, Number.NaN]) {
      expect(() => createBaseApp({ logger, bodyLimitBytes })).toThrow(TypeError)
    }
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(65_536)
  })
})

describe('createBaseApp: ?pretty', () => {
  it('indents any JSON answer by two spaces, errors too; without it the answer stays compact', async () => {
    const { app } = testApp()
    const compact = await (await app.request('/ok')).text()
    expect(compact).not.toContain('\n')
    const pretty = await (await app.request('/ok?pretty')).text()
    expect(pretty).toBe(JSON.stringify(JSON.parse(pretty), null, 2))
    expect(pretty).toContain('\n  "ok": true')
    const error = await app.request('/bad?pretty')
    expect(error.status).toBe(400)
    expect(await error.text()).toContain('\n  "error": {\n')
  })
})

describe('createBaseApp: body limit', () => {
  const tooLarge = {
    error: {
      name: 'PayloadTooLargeError',
      code: 'ERR_PAYLOAD_TOO_LARGE',
      message: `request body is larger than ${LIMIT} bytes`,
    },
  }

  it('a body of exactly the limit is accepted', async () => {
    const body = 'x'.repeat(LIMIT)
    const res = await testApp().app.request('/echo', post(body, { 'content-length': `${LIMIT}` }))
    expect(res.status).toBe(200)
    expect(await res.text()).toBe(body)
  })

  it('content-length over the limit: 413 JSON, body unread, handler never reached', async () => {
    const { app, reached } = testApp()
    // the declared length alone decides: the body sent is small
    const headers = { 'content-type': 'application/json', 'content-length': '1000000' }
    const res = await app.request('/json', post('{}', headers))
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual(tooLarge)
    expect(reached()).toBe(0)
  })

  it('content-length one byte over the limit: 413', async () => {
    const body = 'x'.repeat(LIMIT + 1)
    const headers = { 'content-length': `${LIMIT + 1}` }
    const res = await testApp().app.request('/echo', post(body, headers))
    expect(res.status).toBe(413)
  })

  it('chunked over the limit: 413 JSON, the handler never reached', async () => {
    const { app, reached, entries } = testApp()
    const chunks = ['{"a":"', 'x'.repeat(60), 'y'.repeat(60), '"}']
    const res = await app.request('/json', chunked(chunks))
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual(tooLarge)
    expect(reached()).toBe(0)
    expect(entries().at(-1)).toMatchObject({ path: '/json', status: 413 })
  })

  it('chunked under the limit arrives whole', async () => {
    const { app } = testApp()
    const res = await app.request('/json', chunked(['{"a"', ':"', 'x'.repeat(40), '","b":', '2}']))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ a: 'x'.repeat(40), b: 2 })
  })

  it('a body with no content-length over the limit: 413', async () => {
    const res = await testApp().app.request('/echo', post('z'.repeat(LIMIT * 3)))
    expect(res.status).toBe(413)
    expect(await res.json()).toEqual(tooLarge)
  })
})

describe('createBaseApp: request id', () => {
  it('echoes a well-formed X-Request-Id and hands it to handlers', async () => {
    const rid = 'abc-DEF_123='
    const res = await testApp().app.request('/ok', { headers: { 'X-Request-Id': rid } })
    expect(res.headers.get('x-request-id')).toBe(rid)
    expect(await res.json()).toEqual({ ok: true, rid })
  })

  it.each([
    ['absent', undefined],
    ['with a space', 'bad id'],
    ['with a tab', 'a\tb'],
    ['with a slash', '../etc'],
    ['too long', 'a'.repeat(65)],
    ['empty', ''],
  ])('replaces one that is %s with a UUID', async (_label, rid) => {
    const init = rid === undefined ? {} : { headers: { 'X-Request-Id': rid } }
    const res = await testApp().app.request('/ok', init)
    const sent = res.headers.get('x-request-id')
    expect(sent).toMatch(UUID)
    expect(sent).not.toBe(rid)
  })

  it('keeps one of exactly 64 characters', async () => {
    const rid = 'r'.repeat(64)
    const res = await testApp().app.request('/ok', { headers: { 'X-Request-Id': rid } })
    expect(res.headers.get('x-request-id')).toBe(rid)
  })

  it('sends a request id on errors and 404s as well', async () => {
    const { app } = testApp()
    for (const path of ['/bad', '/boom', '/nowhere']) {
      const res = await app.request(path, { headers: { 'X-Request-Id': 'rid-1' } })
      expect(res.headers.get('x-request-id')).toBe('rid-1')
    }
  })
})

describe('readJsonObject', () => {
  const invalidJson = (message: string) => ({
    error: { name: 'BadRequestError', code: 'ERR_INVALID_JSON', message },
  })

  it('reads a JSON object', async () => {
    const res = await testApp().app.request('/json', json('{"sub":"servicea","n":[1,2]}'))
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ sub: 'servicea', n: [1, 2] })
  })

  it.each(['application/json; charset=utf-8', 'APPLICATION/JSON', 'application/merge-patch+json'])(
    'accepts content-type %s',
    async (type) => {
      const res = await testApp().app.request('/json', json('{"a":1}', type))
      expect(res.status).toBe(200)
    },
  )

  it('malformed JSON: 400 ERR_INVALID_JSON', async () => {
    const { app, reached } = testApp()
    const res = await app.request('/json', json('{"a":'))
    expect(res.status).toBe(400)
    expect(await res.json()).toEqual(invalidJson('request body is not valid JSON'))
    expect(reached()).toBe(0)
  })

  it.each(['[1,2]', '[]', 'null', '42', '"text"', 'true'])(
    'JSON that is not an object (%s): 400',
    async (body) => {
      const res = await testApp().app.request('/json', json(body))
      expect(res.status).toBe(400)
      expect(await res.json()).toEqual(invalidJson('request body must be a JSON object'))
    },
  )

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/jsonx', 'text/json'])(
    'a body of type %s: 415',
    async (type) => {
      const res = await testApp().app.request('/json', json('{"a":1}', type))
      expect(res.status).toBe(415)
      expect(await res.json()).toMatchObject({
        error: { name: 'UnsupportedMediaTypeError', code: 'ERR_UNSUPPORTED_MEDIA_TYPE' },
      })
    },
  )

  it('a body without any content-type is read as JSON', async () => {
    // a byte body: a string body would get text/plain from the Request constructor
    const body = new TextEncoder().encode('{"a":1}')
    const res = await testApp().app.request('/json', { method: 'POST', body })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ a: 1 })
  })

  it('an empty body: 400 unless allowEmpty, then {}', async () => {
    const { app } = testApp()
    for (const body of ['', '  \n']) {
      const refused = await app.request('/json', json(body))
      expect(refused.status).toBe(400)
      expect(await refused.json()).toMatchObject({ error: { code: 'ERR_INVALID_JSON' } })
      const allowed = await app.request('/json-or-empty', json(body))
      expect(allowed.status).toBe(200)
      expect(await allowed.json()).toEqual({})
    }
    const noBody = await app.request('/json-or-empty', { method: 'POST' })
    expect(await noBody.json()).toEqual({})
  })

  it('allowEmpty does not let a non-empty bad body through', async () => {
    const res = await testApp().app.request('/json-or-empty', json('[1]'))
    expect(res.status).toBe(400)
  })
})

describe('createBaseApp: the per-request log line', () => {
  it('has method, path without query, status, ms, rid, added fields; token redacted', async () => {
    const { app, entries, lines } = testApp()
    const headers = { 'X-Request-Id': 'rid-42' }
    const res = await app.request('/things/k1?token=eyJ.query.token', { headers })
    expect(res.status).toBe(200)
    expect(lines).toHaveLength(1)
    const [entry] = entries()
    expect(entry).toMatchObject({
      level: 30,
      name: 'test',
      msg: expect.stringMatching(/^GET \/things\/k1 200 \d+(\.\d)?ms$/),
      rid: 'rid-42',
      method: 'GET',
      path: '/things/k1',
      status: 200,
      keyId: 'k1',
      sub: 'servicea',
      aud: 'serviceb',
      token: '[redacted]',
    })
    expect(entry?.ms).toEqual(expect.any(Number))
    expect(entry?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(lines[0]).not.toContain('secret')
    expect(lines[0]).not.toContain('eyJ')
  })

  it('a long client-chosen field value is cut to 200 characters', async () => {
    const { logger, entries } = collectingLogger()
    const app = createBaseApp({ logger })
    app.get('/aud', (c) => {
      addLogFields(c, { aud: 'a'.repeat(64 * 1024), n: 1 })
      return c.text('ok')
    })
    await app.request('/aud')
    expect(entries()[0]).toMatchObject({ aud: `${'a'.repeat(200)}…`, n: 1 })
  })

  it('one line per request; fields of one request do not leak into the next', async () => {
    const { app, entries } = testApp()
    await app.request('/things/k1')
    await app.request('/ok')
    const [first, second] = entries()
    expect(first).toMatchObject({ path: '/things/k1', keyId: 'k1' })
    expect(second).toMatchObject({ path: '/ok', status: 200 })
    expect(second).not.toHaveProperty('keyId')
    expect(entries()).toHaveLength(2)
  })

  it('logs 4xx at info and 5xx at warn, each with its status', async () => {
    const { app, entries } = testApp()
    await app.request('/bad')
    await app.request('/nowhere')
    await app.request('/boom')
    const requestLines = entries().filter((e) => e.msg !== 'unhandled error')
    expect(requestLines.map((e) => [e.level, e.status, e.path])).toEqual([
      [30, 400, '/bad'],
      [30, 404, '/nowhere'],
      [40, 500, '/boom'],
    ])
  })

  it('the pretty format writes readable lines', async () => {
    const { app, lines } = testApp('pretty')
    await app.request('/things/k9?x=1', { headers: { 'X-Request-Id': 'r1' } })
    expect(lines).toHaveLength(1)
    const time = /^\d\d:\d\d:\d\d\.\d{3}/.source
    const fields = 'rid=r1 keyId=k9 sub=servicea token=\\[redacted\\] aud=serviceb'
    const pattern = `${time} INFO  GET /things/k9 200 [\\d.]+ms  ${fields}\\n$`
    expect(lines[0]).toMatch(new RegExp(pattern))
  })

  it('the pretty format writes one line per request, even for a path with a newline', async () => {
    const { app, lines } = testApp('pretty')
    const res = await app.request('/x%0A15:04:05.123%20INFO%20%20GET%20/admin%20200%1B%5B31m')
    expect(res.status).toBe(404)
    expect(lines).toHaveLength(1)
    expect(lines[0]?.split('\n')).toHaveLength(2) // the line, then the empty rest after its newline
    expect(lines[0]).not.toContain('\u001b')
    expect(lines[0]).toContain('GET /x\\n15:04:05.123 INFO  GET /admin 200\\u001b[31m 404')
  })

  it('the level is honoured', async () => {
    const { logger, lines } = collectingLogger('json', 'warn')
    const app = createBaseApp({ logger })
    app.get('/fine', (c) => c.text('ok'))
    await app.request('/fine')
    expect(lines).toEqual([])
  })
})
