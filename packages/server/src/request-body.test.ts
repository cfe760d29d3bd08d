import { Agent, request } from 'node:http'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createBaseApp } from './create-base-app.ts'
import { readJsonObject } from './json-body.ts'
import { listen, type RunningServer } from './listen.ts'
import { silentLogger } from './logger.ts'
import { readBodyText } from './request-body.ts'

// Over a real socket: served by node, bodies are read from the IncomingMessage itself, a
// different path from the Request that `app.request()` tests go through.
const LIMIT = 1024
let server: RunningServer
const agent = new Agent({ keepAlive: true, maxSockets: 1 })

beforeAll(async () => {
  const app = createBaseApp({ logger: silentLogger(), bodyLimitBytes: LIMIT })
  app.post('/echo', async (c) => c.text(await readBodyText(c)))
  app.post('/twice', async (c) =>
    c.json({ first: await readBodyText(c), second: await readBodyText(c) }),
  )
  app.post('/json', async (c) => c.json(await readJsonObject(c)))
  app.get('/ping', (c) => c.text('pong'))
  server = await listen({
    fetch: app.fetch,
    hostname: '127.0.0.1',
    port: 0,
    name: 'request-body test',
  })
})

afterAll(async () => {
  agent.destroy()
  await server.close(100)
})

interface Answer {
  status: number
  body: string
  /** The local port: the same one twice means the connection was reused. */
  localPort: number | undefined
}

/** Sends `chunks` one write each: with no content-length, node sends them chunked. */
function send(
  path: string,
  chunks: Array<string | Buffer>,
  headers: Record<string, string> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${server.url}${path}`,
      { method: chunks.length ? 'POST' : 'GET', agent, headers },
      (res) => {
        const parts: Buffer[] = []
        res.on('data', (chunk: Buffer) => parts.push(chunk))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(parts).toString('utf8'),
            localPort: req.socket?.localPort,
          }),
        )
      },
    )
    req.on('error', reject)
    for (const chunk of chunks) req.write(chunk)
    req.end()
  })
}

describe('readBodyText over a real socket', () => {
  it('reads a chunked body whole, UTF-8 split across chunks included', async () => {
    const euro = Buffer.from('€')
    const answer = await send('/echo', ['price: ', euro.subarray(0, 1), euro.subarray(1), ' 5'])
    expect(answer).toMatchObject({ status: 200, body: 'price: € 5' })
  })

  it('accepts exactly the limit, by content-length and chunked', async () => {
    const body = 'x'.repeat(LIMIT)
    expect(await send('/echo', [body], { 'content-length': String(LIMIT) })).toMatchObject({
      status: 200,
      body,
    })
    expect(await send('/echo', [body.slice(0, 500), body.slice(500)])).toMatchObject({
      status: 200,
      body,
    })
  })

  it('refuses a declared length over the limit before reading: 413 JSON', async () => {
    const answer = await send('/echo', ['x'.repeat(LIMIT + 1)], {
      'content-length': String(LIMIT + 1),
    })
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toEqual({
      error: {
        name: 'PayloadTooLargeError',
        code: 'ERR_PAYLOAD_TOO_LARGE',
        message: `request body is larger than ${LIMIT} bytes`,
      },
    })
  })

  it('refuses a chunked body that grows over the limit with 413, and the connection stays good', async () => {
    // Far over the limit, in many writes: the client is still sending when the answer comes.
    const chunks = ['{"a":"', ...Array.from({ length: 64 }, () => 'y'.repeat(LIMIT)), '"}']
    const answer = await send('/json', chunks)
    expect(answer.status).toBe(413)
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_PAYLOAD_TOO_LARGE' } })
    // The rest of the body was read and dropped, so the same connection answers the next request.
    const next = await send('/ping', [])
    expect(next).toMatchObject({ status: 200, body: 'pong' })
    expect(next.localPort).toBe(answer.localPort)
  })

  it('keeps the connection for the next request after a body read whole', async () => {
    const first = await send('/echo', ['one'])
    const second = await send('/echo', ['two'])
    expect([first.body, second.body]).toEqual(['one', 'two'])
    expect(second.localPort).toBe(first.localPort)
  })

  it('gives the same text to a second read in one request', async () => {
    const answer = await send('/twice', ['{"same":', 'true}'])
    expect(JSON.parse(answer.body)).toEqual({ first: '{"same":true}', second: '{"same":true}' })
  })

  it('answers JSON that is not an object with 400 ERR_INVALID_JSON', async () => {
    const answer = await send('/json', ['[1,2]'], { 'content-type': 'application/json' })
    expect(answer.status).toBe(400)
    expect(JSON.parse(answer.body)).toMatchObject({ error: { code: 'ERR_INVALID_JSON' } })
  })
})
