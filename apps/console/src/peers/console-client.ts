import type { IncomingHttpHeaders } from 'node:http'
import type { HttpClient } from '@jwt-factory/http-client'
import { BadGatewayError, HttpError } from '@jwt-factory/server'
import type { TlsPeer } from '@jwt-factory/trace'
import type { ConsoleConfig } from '../config.ts'

/** The processes the console talks to, by the names their errors and spans use. */
export type Target = 'jwt-factory' | 'servicea' | 'serviceb' | 'servicec'

export interface SendOptions {
  /** Sent as `x-request-id`: every process logs the run under it. */
  rid: string
  method?: string
  headers?: Record<string, string>
  body?: unknown
  timeoutMs?: number
}

/** One exchange as a span shows it: the answer, when it started and how long it took. */
export interface Exchange {
  status: number
  body: unknown
  headers: IncomingHttpHeaders
  startedAt: number
  ms: number
  /** Whom the server's certificate named and which CA vouched for it. */
  tls?: TlsPeer
  /** Set when the process gave no answer: the 502 or 504 naming it, which `status`/`body` are. */
  failure?: HttpError
}

export interface ConsoleClientOptions {
  http: HttpClient
  config: ConsoleConfig
  now: () => number
  adminToken?: string | undefined
}

export type ConsoleClient = ReturnType<typeof createConsoleClient>

/**
 * The console's requests to the processes, over HTTPS against the project's CA, each with the
 * run's request id. A process that cannot answer is an answer too, its 502 or 504 naming it: a
 * stopped or frozen process is what the learner is looking at.
 */
export function createConsoleClient({ http, config, now, adminToken }: ConsoleClientOptions) {
  const urlOf = (target: Target) =>
    target === 'jwt-factory' ? config.urls.factory : config.urls[target]

  async function send(target: Target, path: string, options: SendOptions): Promise<Exchange> {
    const startedAt = now()
    const started = performance.now()
    const elapsed = () => Math.round((performance.now() - started) * 10) / 10
    try {
      const res = await http.requestJson(target, `${urlOf(target)}${path}`, {
        ...(options.method ? { method: options.method } : {}),
        headers: { ...options.headers, 'x-request-id': options.rid },
        ...(options.body === undefined ? {} : { body: options.body }),
        ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
      })
      const { status, body, headers, tls } = res
      return { status, body, headers, startedAt, ms: elapsed(), ...(tls ? { tls } : {}) }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      return {
        status: err.status,
        body: err.toJSON(),
        headers: {},
        startedAt,
        ms: elapsed(),
        failure: err,
      }
    }
  }

  /** Key management at the factory wants its admin credential when it has one. */
  const adminHeaders = (): Record<string, string> =>
    adminToken ? { authorization: `Bearer ${adminToken}` } : {}

  /** A real token of servicea's for `aud`, as servicea gets them (`POST /issueToken/servicea`). */
  async function serviceToken(rid: string, aud: string): Promise<string> {
    const res = await send('jwt-factory', '/issueToken/servicea', { rid, body: { aud } })
    const token = (res.body as { access_token?: unknown } | null)?.access_token
    if (res.failure) throw res.failure
    if (res.status !== 200 || typeof token !== 'string') {
      throw new BadGatewayError(
        'jwt-factory',
        `jwt-factory issued no token for servicea (${res.status})`,
      )
    }
    return token
  }

  /** The demo user's login at the factory (`POST /login`), for `audience`; `token` when it worked. */
  async function login(rid: string, audience: string): Promise<Exchange & { token?: string }> {
    const { name, password } = config.demoUser
    const basic = Buffer.from(`${name}:${password}`).toString('base64')
    const res = await send('jwt-factory', '/login', {
      rid,
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'x-audience': audience },
    })
    const token = (res.body as { access_token?: unknown } | null)?.access_token
    return res.status === 200 && typeof token === 'string' ? { ...res, token } : res
  }

  return { urlOf, send, adminHeaders, serviceToken, login }
}
