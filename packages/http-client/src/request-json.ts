import type { IncomingHttpHeaders } from 'node:http'
import { BadGatewayError } from '@jwt-factory/server'
import { type Agent, request } from 'undici'
import { toHopError } from './hop-error.ts'
import { type TlsPeer, TlsPeerSlot } from './tls-peer-agent.ts'

export interface RequestJsonOptions {
  /** Default GET, or POST when there is a body. */
  method?: string
  headers?: Record<string, string>
  /**
   * Sent as JSON (content-type application/json unless given); URLSearchParams as a form
   * (application/x-www-form-urlencoded), what OAuth endpoints take (RFC 6749 §3.2).
   */
  body?: unknown
  /** Limit for the whole exchange, connecting included; default the client's timeoutMs. */
  timeoutMs?: number
  /**
   * A body that is not JSON comes back as `text` (body null) instead of a 502: a mesh's sidecar
   * answers its own refusals in plain text (401 `Jwt is expired`, 403 `RBAC: access denied`).
   */
  acceptText?: boolean
}

export interface JsonResponse {
  status: number
  headers: IncomingHttpHeaders
  /** The parsed JSON body; null when the body is empty (204, HEAD). */
  body: unknown
  /** The certificate the server presented on the connection that carried this exchange. */
  tls?: TlsPeer
  /** The body as it came, when it was not JSON and the request accepted text. */
  text?: string
}

export interface RequestJsonContext {
  agent: Agent
  timeoutMs: number
  connectTimeoutMs: number
  /** The plain-HTTP origins the client was allowed (HttpClientOptions.plainHttpOrigins). */
  plainHttp: ReadonlySet<string>
}

/**
 * One JSON exchange with a hop over the shared agent. Any status is returned as it is (the caller
 * knows what a 401 from that hop means); failing to get an answer at all is a 502 or a 504.
 */
export async function requestJson(
  context: RequestJsonContext,
  hop: string,
  url: string,
  options: RequestJsonOptions = {},
): Promise<JsonResponse> {
  requireHttps(url, context.plainHttp)
  const timeoutMs = options.timeoutMs ?? context.timeoutMs
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new TypeError(`timeoutMs must be a positive integer, got ${timeoutMs}`)
  }
  const { body: sent } = options
  const hasBody = sent !== undefined
  const form = sent instanceof URLSearchParams
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(hasBody
      ? { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }
      : {}),
    ...lowerCaseKeys(options.headers ?? {}),
  }
  let status: number
  let responseHeaders: IncomingHttpHeaders
  let text: string
  const connection = new TlsPeerSlot()
  // A cleared timer rather than AbortSignal.timeout(): on Node 20 each of those holds its timer
  // and signal until it fires, even after the answer came, which under load kept thousands
  // alive and showed in RSS. The reason is a TimeoutError, as AbortSignal.timeout() gives.
  const deadline = new AbortController()
  const timer = setTimeout(
    () => deadline.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'TimeoutError')),
    timeoutMs,
  )
  try {
    const response = await request(url, {
      dispatcher: context.agent,
      method: options.method ?? (hasBody ? 'POST' : 'GET'),
      headers,
      body: form ? sent.toString() : hasBody ? JSON.stringify(sent) : null,
      // The signal bounds connect + headers + body together; the two undici timers only
      // bound the waits between bytes, so a slow trickle cannot outlive the limit either.
      signal: deadline.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      opaque: connection,
    })
    status = response.statusCode
    responseHeaders = response.headers
    // Reading the body to its end is also what hands the socket back to the pool for reuse.
    text = await response.body.text()
  } catch (err) {
    throw toHopError(hop, err, timeoutMs, context.connectTimeoutMs)
  } finally {
    clearTimeout(timer)
  }
  const { tls } = connection
  const answer = { status, headers: responseHeaders, ...(tls ? { tls } : {}) }
  if (options.acceptText && text.trim() !== '' && !isJson(text))
    return { ...answer, body: null, text }
  return { ...answer, body: parseJson(hop, status, text) }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

function parseJson(hop: string, status: number, text: string): unknown {
  if (text.trim() === '') return null
  try {
    return JSON.parse(text) as unknown
  } catch (err) {
    const message = `${hop} answered ${status} with a body that is not JSON`
    throw new BadGatewayError(hop, message, { cause: err })
  }
}

/**
 * This client exists to speak TLS to peers; a plain http:// URL is a configuration mistake, but
 * to an origin the client was told is a mesh peer (its sidecar brings the TLS).
 */
export function requireHttps(url: string | URL, plainHttp: ReadonlySet<string> = new Set()): void {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`not a valid URL: ${String(url)}`)
  }
  if (parsed.protocol === 'http:' && plainHttp.has(parsed.origin)) return
  if (parsed.protocol !== 'https:') {
    throw new TypeError(`only https:// URLs are allowed, got ${String(url)}`)
  }
}

function lowerCaseKeys(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]),
  )
}
