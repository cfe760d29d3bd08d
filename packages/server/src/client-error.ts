import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'

/** How long a refused connection is read and discarded before it is cut anyway. */
const LINGER_MS = 5_000

const REFUSALS: Record<string, { status: number; reason: string; code: string; message: string }> =
  {
    HPE_HEADER_OVERFLOW: {
      status: 431,
      reason: 'Request Header Fields Too Large',
      code: 'ERR_HEADERS_TOO_LARGE',
      message: 'the request headers are larger than this server reads',
    },
    HPE_CHUNK_EXTENSIONS_OVERFLOW: {
      status: 413,
      reason: 'Payload Too Large',
      code: 'ERR_PAYLOAD_TOO_LARGE',
      message: 'the chunk extensions are larger than this server reads',
    },
    ERR_HTTP_REQUEST_TIMEOUT: {
      status: 408,
      reason: 'Request Timeout',
      code: 'ERR_REQUEST_TIMEOUT',
      message: 'the request did not arrive in time',
    },
  }

const BAD_REQUEST = {
  status: 400,
  reason: 'Bad Request',
  code: 'ERR_BAD_REQUEST',
  message: 'the request is not valid HTTP',
}

/**
 * Answers what Node's HTTP parser refuses before the app sees a request (headers over its limit,
 * malformed HTTP) in the JSON error shape, and then closes the connection gracefully.
 *
 * Node's own answer destroys the socket right after writing it. A client still sending its
 * oversized headers then has unread bytes at the server, so the kernel answers with a reset, and
 * the client may lose the answer with its write: a 1 MB token showed up as ECONNRESET instead of
 * 431. Here the server half-closes after the answer and reads and discards what is still coming
 * (as nginx's lingering close does), cutting the connection only after LINGER_MS.
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (refused.has(socket)) return // the parser reports every later chunk again
    refused.add(socket)
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy()
      return
    }
    const refusal = REFUSALS[err.code ?? ''] ?? BAD_REQUEST
    const body = JSON.stringify({
      error: {
        name: refusal.reason.replaceAll(' ', ''),
        code: refusal.code,
        message: refusal.message,
      },
    })
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.reason}\r\n` +
        'Content-Type: application/json\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    )
    socket.removeAllListeners('data')
    socket.on('data', discard)
    socket.resume()
    const cut = setTimeout(() => socket.destroy(), LINGER_MS)
    cut.unref()
    socket.once('close', () => clearTimeout(cut))
  })
}

const refused = new WeakSet<Duplex>()
const discard = () => {}
