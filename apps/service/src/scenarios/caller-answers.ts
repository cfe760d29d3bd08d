import type { Context } from 'hono'
import { isFlagSet, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import type { HopAnswer, HopClient, PeerCall } from '../peers/hop-client.ts'
import { Trace, withTrace } from '../trace.ts'

/** `?trace=1` and `?expired=1`, as every calling side reads them. */
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

/**
 * Calls serviceb and servicec at once, each with its own token, and answers
 * `{ serviceb, servicec }`: 200 only when both accepted, else the worse status.
 */
export async function callBoth(
  c: Context<ServerEnv>,
  trace: Trace,
  hops: HopClient,
  path: string,
  [forB, forC]: [PeerCall['token'], PeerCall['token']],
) {
  const [serviceb, servicec] = await Promise.all([
    hops.callPeer(c, trace, { peer: 'serviceb', path, token: forB }),
    hops.callPeer(c, trace, { peer: 'servicec', path, token: forC }),
  ])
  return c.json(
    withTrace({ serviceb: serviceb.body, servicec: servicec.body }, trace),
    Math.max(serviceb.status, servicec.status) as ContentfulStatusCode,
  )
}
