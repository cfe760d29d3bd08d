import type { IncomingMessage } from 'node:http'
import type { Context, MiddlewareHandler } from 'hono'
import { BadRequestError, PayloadTooLargeError } from './http-error.ts'
import type { ServerEnv } from './server-env.ts'

export const DEFAULT_BODY_LIMIT_BYTES = 64 * 1024

/**
 * The body limit, in two halves. This middleware refuses a declared `content-length` over the
 * limit before any handler runs; `readBodyText` caps a body with no length (chunked) while it
 * reads it. Unlike hono/body-limit it never touches `c.req.raw.body`: on node that builds a
 * web-standard Request with two ReadableStreams per request, the largest single cost of a small
 * request (V8 profile of `npm run bench -- --only issue --cpu-prof`).
 */
export function limitBody(maxBytes: number): MiddlewareHandler<ServerEnv> {
  return async function bodyLimit(c, next) {
    c.set('bodyLimitBytes', maxBytes)
    const length = c.req.header('content-length')
    if (
      length !== undefined &&
      c.req.header('transfer-encoding') === undefined &&
      Number(length) > maxBytes
    ) {
      throw new PayloadTooLargeError(maxBytes)
    }
    await next()
  }
}

/** What node's server hands hono next to the Request (`@hono/node-server`'s bindings). */
interface NodeBindings {
  incoming?: IncomingMessage
}

const bodies = new WeakMap<object, Promise<string>>()

/**
 * The request body as text (UTF-8), at most the app's body limit: more is a 413. Read straight
 * from node's IncomingMessage when served by node; through the Request under `app.request()`.
 * Reading twice in one request gives the same text.
 */
export function readBodyText(c: Context<ServerEnv>): Promise<string> {
  const maxBytes = c.get('bodyLimitBytes') ?? DEFAULT_BODY_LIMIT_BYTES
  const incoming = (c.env as NodeBindings | undefined)?.incoming
  const owner: object = incoming ?? c.req.raw
  let body = bodies.get(owner)
  if (body === undefined) {
    body = incoming ? readIncoming(incoming, maxBytes) : readRequest(c.req.raw, maxBytes)
    bodies.set(owner, body)
  }
  return body
}

async function readRequest(request: Request, maxBytes: number): Promise<string> {
  const bytes = await request.arrayBuffer()
  if (bytes.byteLength > maxBytes) throw new PayloadTooLargeError(maxBytes)
  return new TextDecoder().decode(bytes)
}

function readIncoming(incoming: IncomingMessage, maxBytes: number): Promise<string> {
  if (incoming.readableEnded) return Promise.resolve('')
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const done = () => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onError)
      incoming.off('aborted', onError)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      done()
      // The rest is read and dropped, not cut off: a client still sending would get EPIPE
      // instead of the 413, and the connection stays good for its next request. A body that
      // never ends is node's to stop (the server's requestTimeout).
      incoming.resume()
      reject(new PayloadTooLargeError(maxBytes))
    }
    const onEnd = () => {
      done()
      resolve(Buffer.concat(chunks, size).toString('utf8'))
    }
    const onError = (cause?: unknown) => {
      done()
      reject(
        new BadRequestError('request body was not received whole', 'ERR_BAD_REQUEST', { cause }),
      )
    }
    incoming.on('data', onData)
    incoming.once('end', onEnd)
    incoming.once('error', onError)
    incoming.once('aborted', onError)
  })
}
