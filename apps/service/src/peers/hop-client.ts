import type { Context } from 'hono'
import type { VerifyResult } from '@jwt-factory/jwt'
import {
  BadGatewayError,
  forwardedFault,
  HttpError,
  isFlagSet,
  ServiceUnavailableError,
  type Logger,
  type ServerEnv,
} from '@jwt-factory/server'
import { isNoAnswer, type HttpClient, type JsonResponse } from '@jwt-factory/http-client'
import { outcome, traceHeaders, viewToken, type TlsPeer, type TokenView } from '@jwt-factory/trace'
import { SCENARIO_CALLER, type ServiceConfig } from '../config.ts'
import type { Trace } from '../trace.ts'
import { TokenCache, type IssuedToken, type TokenSource } from './token-cache.ts'
import { missingSecretAdvice } from './client-secret.ts'
import { oauthRefusalOf, TokenExchangeRefusedError } from './token-exchange-refused.ts'
import { tokenRefusal } from './token-refusal.ts'
import { MeshRefusedError, meshUrlUnset } from '../scenarios/mesh-refusals.ts'

export const FACTORY_HOP = 'jwt-factory'

export type PeerName = 'serviceb' | 'servicec'

/** servicea's token from the factory for one peer, and whether the cache gave it. */
export interface ServiceToken {
  value: string
  aud: PeerName
  source: TokenSource
}

export interface PeerCall {
  peer: PeerName
  path: string
  /** servicea's own token, sent as `Authorization: Bearer`: the factory's, or one it signed. */
  token: ServiceToken | string
  /** More headers for the peer, e.g. the user's token in scenario 5. */
  headers?: Record<string, string>
  /**
   * Whether an `invalid_token` refusal was of servicea's own token, for a peer that checks a
   * second one (scenario 5: the user's); by default every such refusal is.
   */
  refusedOwnToken?: (body: unknown) => boolean
  /**
   * To the peer's plain HTTP port inside the mesh (`?verify=mesh`, its *_MESH_URL), where its
   * sidecar verifies the token first; by default its HTTPS listener.
   */
  mesh?: boolean
}

export interface HopAnswer {
  status: number
  body: unknown
}

export interface HopClientOptions {
  http: HttpClient
  config: ServiceConfig
  logger: Logger
  /** This service's OAuth client secret (CLIENT_SECRET_FILE); without it, no token exchange. */
  clientSecret?: string | undefined
}

/** RFC 8693 §2.1's grant type and §3's token type: what POST /token is asked for. */
const TOKEN_EXCHANGE = 'urn:ietf:params:oauth:grant-type:token-exchange'
const ACCESS_TOKEN_TYPE = 'urn:ietf:params:oauth:token-type:access_token'

/** application/x-www-form-urlencoded, as a Basic credential's parts are (RFC 6749 §2.3.1). */
const formEncoded = (value: string) => encodeURIComponent(value).replace(/%20/g, '+')

export type HopClient = ReturnType<typeof createHopClient>

/**
 * The one hop client of a service: servicea's tokens from the factory (one cache for every
 * scenario, reused as a real client does), the factory's POST /verify for the verifying side,
 * and the calls to serviceb and servicec. Every hop goes over the process's one HTTPS client, is
 * recorded in the trace and the log, and one that cannot answer is a 502 or 504 naming it.
 */
export function createHopClient({ http, config, logger, clientSecret }: HopClientOptions) {
  const me = config.name
  const tokens = new TokenCache()
  // RFC 6749 §2.3.1: client_id and secret are form-encoded before they are joined and base64'd.
  const basicCredentials =
    clientSecret === undefined
      ? undefined
      : `Basic ${Buffer.from(`${formEncoded(me)}:${formEncoded(clientSecret)}`).toString('base64')}`

  async function issue(
    requestId: string,
    aud: PeerName,
    expired: boolean,
    fault: Record<string, string>,
  ): Promise<IssuedToken & { tls?: TlsPeer }> {
    logger.info(
      { rid: requestId },
      `${me} → ${FACTORY_HOP}: token for aud=${aud}${expired ? ' (expired)' : ''}`,
    )
    const url = `${config.factoryUrl}/issueToken/${encodeURIComponent(me)}${expired ? '?expired=1' : ''}`
    const res = await http.requestJson(FACTORY_HOP, url, {
      body: { aud },
      headers: { 'x-request-id': requestId, ...fault },
    })
    const body = res.body as { access_token?: unknown; expire_time?: unknown } | null
    if (
      res.status !== 200 ||
      typeof body?.access_token !== 'string' ||
      typeof body.expire_time !== 'number'
    ) {
      throw new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} did not issue a token for ${me} (${res.status}): ${errorMessage(res.body)}`,
      )
    }
    return { token: body.access_token, exp: body.expire_time, ...tlsOf(res) }
  }

  /**
   * A factory token for `aud`: the cached one unless `fresh=1`; an expired one always afresh.
   * `renewal` says why a refused token is being replaced, in the trace.
   */
  async function serviceToken<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    aud: PeerName,
    expired: boolean,
    renewal?: string,
  ): Promise<ServiceToken> {
    const startedAt = performance.timeOrigin + performance.now()
    const requestId = c.get('requestId')
    const fresh = isFlagSet(c.req.query('fresh'))
    const issueCall = {
      kind: 'call',
      from: me,
      to: FACTORY_HOP,
      call: `POST /issueToken/${me}`,
      startedAt,
    } as const
    // A miss shared with a concurrent request asked the factory once, on that request's behalf.
    let tls: TlsPeer | undefined
    const issueNow = async () => {
      const issued = await issue(requestId, aud, expired, forwardedFault(c))
      tls = issued.tls
      return issued
    }
    let got: { token: string; source: TokenSource }
    try {
      got = expired
        ? { token: (await issueNow()).token, source: 'issued' }
        : await tokens.get(aud, issueNow, { fresh })
    } catch (err) {
      // The trace shows the hop that could not issue, as the answer names it.
      if (err instanceof HttpError)
        trace.record(issueCall, { status: err.status, result: err.message, ...unanswered(err) })
      throw err
    }
    const { token, source } = got
    // Decoding the token for the trace is work only a traced request asks for.
    if (trace.enabled)
      trace.record(
        source === 'issued'
          ? issueCall
          : { kind: 'reuse', from: me, to: me, call: 'reuse cached token', startedAt },
        {
          status: 200,
          token: viewToken(token, { source, expired }),
          ...(tls ? { tls } : {}),
          ...(renewal ? { result: renewal } : {}),
        },
      )
    return { value: token, aud, source }
  }

  /**
   * The factory's verdict on servicea's token for this service (the keys never leave it). When
   * tracing, the factory's own verify span, with its checks, comes back under this call's span.
   */
  async function verifyAtFactory<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    token: string,
  ): Promise<VerifyResult> {
    const span = trace.start({
      kind: 'call',
      from: me,
      to: FACTORY_HOP,
      call: `POST /verify/${SCENARIO_CALLER}`,
    })
    const url = `${config.factoryUrl}/verify/${SCENARIO_CALLER}`
    let res: JsonResponse
    try {
      res = await http.requestJson(FACTORY_HOP, url, {
        body: { token, aud: me, sub: SCENARIO_CALLER },
        headers: {
          'x-request-id': c.get('requestId'),
          ...traceHeaders(trace, span.id),
          ...forwardedFault(c),
        },
      })
    } catch (err) {
      if (err instanceof HttpError)
        span.end({ status: err.status, result: err.message, ...unanswered(err) })
      throw err
    }
    const body = trace.adopt(res.body) as { valid?: unknown } | null
    if ((res.status !== 200 && res.status !== 403) || typeof body?.valid !== 'boolean') {
      const err = new BadGatewayError(
        FACTORY_HOP,
        `${FACTORY_HOP} could not verify for ${SCENARIO_CALLER} (${res.status}): ${errorMessage(res.body)}`,
      )
      span.end({ status: err.status, result: err.message, ...tlsOf(res) })
      throw err
    }
    const result = body as VerifyResult
    span.end({ status: res.status, result: outcome(result), ...tlsOf(res) })
    return result
  }

  /**
   * Token exchange (RFC 8693) at the factory's POST /token: `subject`, a token issued to this
   * service, for one for `audience` on the same subject's behalf. This service authenticates as
   * the OAuth client of its own name (client_secret_basic). The factory's refusal, `invalid_target`
   * (the exchange policy) or `invalid_grant` (the subject token), is this service's 403 carrying the
   * factory's `error` and `error_description`; a service without its secret answers 503.
   */
  async function exchangeToken<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    subject: string,
    audience: PeerName,
  ): Promise<ServiceToken> {
    if (basicCredentials === undefined) {
      throw new ServiceUnavailableError(
        `${me} has no OAuth client secret (CLIENT_SECRET_FILE ${config.clientSecretFile}) to exchange tokens with: ${missingSecretAdvice(me)}`,
      )
    }
    const span = trace.start({
      kind: 'call',
      from: me,
      to: FACTORY_HOP,
      call: `POST /token (token exchange for ${audience})`,
    })
    logger.info(
      { rid: c.get('requestId') },
      `${me} → ${FACTORY_HOP}: token exchange for ${audience}`,
    )
    let res: JsonResponse
    try {
      res = await http.requestJson(FACTORY_HOP, `${config.factoryUrl}/token`, {
        body: new URLSearchParams({
          grant_type: TOKEN_EXCHANGE,
          subject_token: subject,
          subject_token_type: ACCESS_TOKEN_TYPE,
          requested_token_type: ACCESS_TOKEN_TYPE,
          audience,
        }),
        headers: {
          authorization: basicCredentials,
          'x-request-id': c.get('requestId'),
          ...forwardedFault(c),
        },
      })
    } catch (err) {
      if (err instanceof HttpError)
        span.end({ status: err.status, result: err.message, ...unanswered(err) })
      throw err
    }
    const body = res.body as { access_token?: unknown } | null
    if (res.status === 200 && typeof body?.access_token === 'string') {
      const token = body.access_token
      span.end({
        status: 200,
        ...(trace.enabled ? { token: viewToken(token, { source: 'issued' }) } : {}),
        ...tlsOf(res),
      })
      return { value: token, aud: audience, source: 'issued' }
    }
    const err = exchangeRefusal(res, audience)
    span.end({ status: res.status, result: err.message, ...tlsOf(res) })
    throw err
  }

  /** The factory's answer to a refused exchange, as this service's own refusal. */
  function exchangeRefusal(res: JsonResponse, audience: PeerName): HttpError {
    const oauth = oauthRefusalOf(res.body)
    const said = oauth ? `${oauth.error}: ${oauth.error_description ?? 'no description'}` : ''
    // 400: the factory judged the request (policy, subject token); anything else is the hop failing,
    // its 401 included: this service's own credentials are wrong, not its caller's request.
    if (res.status === 400 && oauth) {
      const message = `${FACTORY_HOP} refused to exchange the token for ${audience} (${said})`
      return new TokenExchangeRefusedError(message, oauth)
    }
    return new BadGatewayError(
      FACTORY_HOP,
      `${FACTORY_HOP} did not exchange the token for ${me} (${res.status}): ${said || errorMessage(res.body)}`,
    )
  }

  /**
   * Calls a peer's scenario endpoint; its answer comes back as it is, or as the hop's 502/504.
   * A cached service token the peer refuses as `invalid_token` (its key retired, say) is what a
   * real client drops: servicea gets a new one and calls once more, never twice. A token issued
   * for this call, an expired one (`?expired=1`) or one servicea signed itself is not retried: a
   * new one would be refused alike.
   */
  async function callPeer<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    call: PeerCall,
  ): Promise<HopAnswer> {
    const { token } = call
    const answer = await send(c, trace, call)
    if (typeof token === 'string' || token.source !== 'cached') return answer
    const reason = tokenRefusal(answer.status, answer.challenge)
    if (reason === undefined || !(call.refusedOwnToken?.(answer.body) ?? true)) return answer
    logger.info(
      { rid: c.get('requestId'), status: answer.status },
      `${me} → ${call.peer}: ${call.path} refused the cached token (${reason}); retrying once with a new one`,
    )
    tokens.forget(token.aud, token.value)
    const renewal = `${call.peer} refused the cached token: ${reason}`
    const renewed = await serviceToken(c, trace, token.aud, false, renewal)
    return send(c, trace, { ...call, token: renewed })
  }

  async function send<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    { peer, path, token, headers, mesh = false }: PeerCall,
  ): Promise<HopAnswer & { challenge?: string | string[] | undefined }> {
    const base = mesh ? config.meshPeers[peer] : config.peers[peer]
    if (base === undefined) throw meshUrlUnset(peer)
    const requestId = c.get('requestId')
    const value = typeof token === 'string' ? token : token.value
    const source = typeof token === 'string' ? 'signed locally' : token.source
    const view: TokenView | undefined = trace.enabled ? viewToken(value, { source }) : undefined
    const span = trace.start({
      kind: 'call',
      from: me,
      to: peer,
      call: `GET ${path}`,
      ...(view ? { token: view } : {}),
    })
    const sent: Record<string, string> = {
      ...headers,
      authorization: `Bearer ${value}`,
      'x-request-id': requestId,
      ...traceHeaders(trace, span.id),
      ...forwardedFault(c),
    }
    try {
      const answer = await http.requestJson(peer, `${base}${path}`, {
        headers: sent,
        timeoutMs: config.peerTimeoutMs,
        acceptText: mesh,
      })
      const body =
        answer.text === undefined ? trace.adopt(answer.body) : sidecarAnswer(peer, answer)
      span.end({ status: answer.status, ...tlsOf(answer) })
      logger.info(
        { rid: requestId, status: answer.status },
        `${me} → ${peer}: ${path} answered ${answer.status}`,
      )
      return { status: answer.status, body, challenge: answer.headers['www-authenticate'] }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      span.end({ status: err.status, result: err.message, ...unanswered(err) })
      logger.warn({ rid: requestId, status: err.status }, `${me} → ${peer}: ${err.message}`)
      return { status: err.status, body: err.toJSON() }
    }
  }

  return {
    serviceToken,
    verifyAtFactory,
    exchangeToken,
    callPeer,
    cachedTokens: () => tokens.entries(),
  }
}

/**
 * What a peer's sidecar said in plain text: its refusal of the token (401) or of the policy (403)
 * as the peer's answer; anything else is the hop failing, a 502 naming the peer.
 */
function sidecarAnswer(peer: PeerName, { status, text = '' }: JsonResponse): unknown {
  const said = text.trim().slice(0, SIDECAR_TEXT_SHOWN) || '(no text)'
  if (status === 401 || status === 403) return new MeshRefusedError(status, peer, said).toJSON()
  throw new BadGatewayError(
    peer,
    `${peer} answered ${status} with a body that is not JSON: ${said}`,
  )
}

/** Enough of a sidecar's text for its reason; never a whole page. */
const SIDECAR_TEXT_SHOWN = 200

/** The TLS peer of the connection that carried an answer, when the client recorded one. */
const tlsOf = ({ tls }: JsonResponse): { tls?: TlsPeer } => (tls ? { tls } : {})

/** The message of a `{ error: { message } }` body, for error texts that say what the hop said. */
function errorMessage(body: unknown): string {
  const message = (body as { error?: { message?: unknown } } | null)?.error?.message
  return typeof message === 'string' ? message : 'unexpected answer'
}

/** What a span says of a hop that never answered (the error is this process's own). */
const unanswered = (err: unknown): { answered?: false } =>
  isNoAnswer(err) ? { answered: false } : {}
