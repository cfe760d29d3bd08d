import type { Context } from 'hono'
import { isFlagSet, requestedFault, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { SCENARIO_CALLER } from '../config.ts'
import type { HopAnswer, HopClient, PeerCall } from '../peers/hop-client.ts'
import { rootTrace, type Trace } from '../trace.ts'

/** What every calling side reads of its request: `?trace=1` (the trace), `?expired=1`. */
export interface ScenarioRun {
  trace: Trace
  expired: boolean
}

export function scenarioOptions<E extends ServerEnv>(c: Context<E>): ScenarioRun {
  // A `?fault=` that names no fault, or comes from beyond this machine, is refused before
  // anything is sent (the hop client sends it on).
  requestedFault(c)
  return { trace: rootTrace(c, SCENARIO_CALLER), expired: isFlagSet(c.req.query('expired')) }
}

/** `?verify=jwks` asks the verifying side to check locally with the factory's JWKS. */
export const verifyQuery = <E extends ServerEnv>(c: Context<E>) =>
  c.req.query('verify') === 'jwks' ? '?verify=jwks' : ''

/** One hop: its status and body, as the original answered. */
export const answerOf = <E extends ServerEnv>(c: Context<E>, answer: HopAnswer) =>
  c.json(answer.body, answer.status as ContentfulStatusCode)

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
  const status = Math.max(serviceb.status, servicec.status)
  const body = { serviceb: serviceb.body, servicec: servicec.body }
  return c.json(body, status as ContentfulStatusCode)
}
