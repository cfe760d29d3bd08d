import { createServer, type Server } from 'node:http'
import { connect, type AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createBaseApp } from './create-base-app.ts'
import { ListenError, listen, type RunningServer } from './listen.ts'
import { silentLogger } from './logger.ts'

const running: RunningServer[] = []
const blockers: Server[] = []

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close(100)))
  await Promise.all(blockers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))))
})

function testApp() {
  const app = createBaseApp({ logger: silentLogger() })
  app.get('/hello', (c) => c.json({ hello: 'world' }))
  return app
}

const listenOn = (hostname: string, port: number, name = 'test') =>
  listen({ fetch: testApp().fetch, hostname, port, name })

describe('listen', () => {
  it('serves the app over HTTP on port 0 and reports the real port and URL', async () => {
    const server = await listenOn('127.0.0.1', 0)
    running.push(server)
    expect(server.port).toBeGreaterThan(0)
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`)
    const res = await fetch(`${server.url}/hello`)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ hello: 'world' })
  })

  it('brackets an IPv6 host in the URL', async ({ skip }) => {
    const server = await listenOn('::1', 0).catch((err: unknown) => err)
    if (server instanceof ListenError) skip('no IPv6 loopback here')
    const running6 = server as RunningServer
    running.push(running6)
    expect(running6.url).toBe(`http://[::1]:${running6.port}`)
    expect((await fetch(`${running6.url}/hello`)).status).toBe(200)
  })

  it('a port in use is a ListenError naming the process and the port', async () => {
    const blocker = createServer()
    blockers.push(blocker)
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
    const { port } = blocker.address() as AddressInfo
    const err = await listenOn('127.0.0.1', port, 'jwt-factory https').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ListenError)
    expect(err).toMatchObject({
      name: 'ListenError',
      serverName: 'jwt-factory https',
      port,
      reason: 'port already in use',
      message: `jwt-factory https: cannot listen on port ${port}: port already in use`,
    })
  })

  it('close stops accepting connections and is safe to call twice', async () => {
    const server = await listenOn('127.0.0.1', 0)
    await fetch(`${server.url}/hello`)
    await server.close(100)
    expect(server.server.listening).toBe(false)
    await expect(fetch(`${server.url}/hello`)).rejects.toThrow()
    await expect(server.close()).resolves.toBeUndefined()
  })

  it('close lets a request in flight finish with its answer, then ends its keep-alive connection at once', async () => {
    const app = createBaseApp({ logger: silentLogger() })
    let arrived!: () => void
    const inFlight = new Promise<void>((resolve) => (arrived = resolve))
    let release!: () => void
    const released = new Promise<void>((resolve) => (release = resolve))
    app.get('/slow', async (c) => {
      arrived()
      await released
      return c.json({ slow: 'done' })
    })
    const server = await listen({ fetch: app.fetch, hostname: '127.0.0.1', port: 0, name: 'test' })
    running.push(server)
    // Were the kept-alive connection left open, close() would wait this out: far past the test's
    // own timeout, so the test fails rather than measuring time.
    server.server.keepAliveTimeout = 10 * 60_000
    const answer = fetch(`${server.url}/slow`).then(async (res) => ({
      status: res.status,
      connection: res.headers.get('connection'),
      body: await res.json(),
    }))
    await inFlight
    const closed = server.close(10 * 60_000)
    // No new connection once closing.
    await expect(fetch(`${server.url}/slow`)).rejects.toThrow()
    release()
    expect(await answer).toEqual({ status: 200, connection: 'close', body: { slow: 'done' } })
    await closed
  })

  describe('what the parser refuses before the app sees it', () => {
    /**
     * Writes a request with a header of `headerBytes` over a raw socket and reads until the server
     * ends the connection. Resolves with what came back and how the connection ended.
     */
    function sendRawRequest(url: string, headerBytes: number) {
      const { hostname, port } = new URL(url)
      return new Promise<{ answer: string; ended: 'end' | string; wrote: boolean }>((resolve) => {
        const socket = connect(Number(port), hostname)
        const chunks: Buffer[] = []
        let wrote = false
        socket.on('data', (chunk: Buffer) => chunks.push(chunk))
        const done = (ended: string) =>
          resolve({ answer: Buffer.concat(chunks).toString(), ended, wrote })
        socket.on('end', () => {
          done('end')
          socket.end()
        })
        socket.on('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message))
        const request = `GET /hello HTTP/1.1\r\nHost: ${hostname}\r\nX-Big: ${'a'.repeat(headerBytes)}\r\n\r\n`
        socket.write(request, (err) => (wrote = !err))
      })
    }

    it('a 1 MB header is answered 431 in the JSON error shape, and the connection ends cleanly while the client still writes (no reset)', async () => {
      const server = await listenOn('127.0.0.1', 0)
      running.push(server)
      const { answer, ended, wrote } = await sendRawRequest(server.url, 1024 * 1024)
      // Node's own answer destroys the socket with the header unread, which can reach a client
      // still writing as a reset (ECONNRESET) instead of the 431.
      expect(ended).toBe('end')
      expect(wrote).toBe(true)
      const [head, body] = answer.split('\r\n\r\n')
      expect(head).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/)
      expect(head).toMatch(/\r\nContent-Type: application\/json\r\n/)
      expect(JSON.parse(body!)).toEqual({
        error: {
          name: 'RequestHeaderFieldsTooLarge',
          code: 'ERR_HEADERS_TOO_LARGE',
          message: 'the request headers are larger than this server reads',
        },
      })
      // The server is unharmed.
      expect((await fetch(`${server.url}/hello`)).status).toBe(200)
    })

    it('malformed HTTP is a 400 in the JSON error shape', async () => {
      const server = await listenOn('127.0.0.1', 0)
      running.push(server)
      const { hostname, port } = new URL(server.url)
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), hostname)
        const chunks: Buffer[] = []
        socket.on('data', (chunk: Buffer) => chunks.push(chunk))
        socket.on('end', () => resolve(Buffer.concat(chunks).toString()))
        socket.write('NOT HTTP AT ALL\r\n\r\n')
      })
      expect(answer).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(JSON.parse(answer.split('\r\n\r\n')[1]!)).toMatchObject({
        error: { name: 'BadRequest', code: 'ERR_BAD_REQUEST' },
      })
    })
  })
})
