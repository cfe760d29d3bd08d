import type { Context } from 'hono'
import { HttpError, isFlagSet, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { ServiceContext } from '../deps.ts'
import { FACTORY_HOP } from '../peers/factory-client.ts'
import type { PeerName } from '../peers/peer-client.ts'
import { elapsedSince, Trace } from '../trace.ts'

export interface HopCall {
  peer: PeerName
  path: string
  /** servicea's own token, sent as `Authorization: Bearer`. */
  token: string
  /** More headers for the peer, e.g. the user's token in scenario 5. */
  headers?: Record<string, string>
}

export interface HopAnswer {
  status: number
  body: unknown
}

/**
 * The hops servicea's scenarios share: its service tokens from the factory (reused from one
 * cache for every scenario, as a real client does) and calls to serviceb and servicec, each
 * recorded in the trace and the log, a hop that cannot be reached answered as its 502 or 504.
 */
export function scenarioHops(ctx: ServiceContext) {
  const { config, factory, peers, serviceTokens, logger } = ctx
  const me = config.name

  const issue = (requestId: string, aud: string, expired: boolean) => {
    logger.info(
      { rid: requestId },
      `${me} → ${FACTORY_HOP}: token for aud=${aud}${expired ? ' (expired)' : ''}`,
    )
    return factory.issueToken(me, { aud }, { expired, requestId })
  }

  /** A factory token for `aud`: the cached one unless `fresh=1`; an expired one always afresh. */
  async function factoryToken<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    aud: PeerName,
    expired: boolean,
  ) {
    const started = performance.now()
    const requestId = c.get('requestId')
    const fresh = isFlagSet(c.req.query('fresh'))
    const { token, source } = expired
      ? { token: (await issue(requestId, aud, true)).token, source: 'issued' as const }
      : await serviceTokens.get(aud, () => issue(requestId, aud, false), { fresh })
    const call = source === 'issued' ? `POST /issueToken/${me}` : 'reuse cached token'
    trace.add({
      from: me,
      to: source === 'issued' ? FACTORY_HOP : me,
      call,
      status: 200,
      ms: elapsedSince(started),
      token: { sub: me, aud, expired, source },
    })
    return token
  }

  async function call<E extends ServerEnv>(
    c: Context<E>,
    trace: Trace,
    { peer, path, token, headers }: HopCall,
  ): Promise<HopAnswer> {
    const started = performance.now()
    const requestId = c.get('requestId')
    try {
      const answer = await peers.call(peer, path, token, {
        requestId,
        trace: trace.enabled,
        ...(headers ? { headers } : {}),
      })
      // The peer's own hops finished before its answer did: they come first.
      const body = trace.adopt(answer.body)
      trace.add({
        from: me,
        to: peer,
        call: `GET ${path}`,
        status: answer.status,
        ms: elapsedSince(started),
      })
      logger.info(
        { rid: requestId, status: answer.status },
        `${me} → ${peer}: ${path} answered ${answer.status}`,
      )
      return { status: answer.status, body }
    } catch (err) {
      if (!(err instanceof HttpError)) throw err
      trace.add({
        from: me,
        to: peer,
        call: `GET ${path}`,
        status: err.status,
        ms: elapsedSince(started),
        result: err.message,
      })
      logger.warn({ rid: requestId, status: err.status }, `${me} → ${peer}: ${err.message}`)
      return { status: err.status, body: err.toJSON() }
    }
  }

  return { factoryToken, call }
}

/** `?trace=1` and `?expired=1`, as every scenario reads them. */
export function scenarioOptions<E extends ServerEnv>(c: Context<E>) {
  return {
    trace: new Trace(isFlagSet(c.req.query('trace'))),
    expired: isFlagSet(c.req.query('expired')),
  }
}

/** `?verify=jwks` asks the verifying side to check locally with the factory's JWKS. */
export const verifyQuery = <E extends ServerEnv>(c: Context<E>) =>
  c.req.query('verify') === 'jwks' ? '?verify=jwks' : ''

/** One hop: its status and body, as the original answered. */
export const answerOf = <E extends ServerEnv>(c: Context<E>, trace: Trace, answer: HopAnswer) =>
  c.json(withTrace(answer.body, trace), answer.status as ContentfulStatusCode)

export function withTrace(body: unknown, trace: Trace): unknown {
  if (!trace.enabled || body === null || typeof body !== 'object') return body
  return { ...body, trace: trace.entries }
}
