import type { Context } from 'hono'
import { BadRequestError, isFlagSet, requestedFault, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { SCENARIO_CALLER, type ServiceConfig } from '../config.ts'
import type { HopAnswer, HopClient, PeerCall, PeerName } from '../peers/hop-client.ts'
import { meshUrlUnset } from './mesh-refusals.ts'
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

/**
 * `?verify=jwks` asks the verifying side to check locally with the factory's JWKS; anything else
 * at the factory. `?verify=mesh` is built for scenarios 1 and 2 only (verifyChoice): elsewhere it
 * is refused rather than quietly verified another way.
 */
export function verifyQuery<E extends ServerEnv>(c: Context<E>): string {
  if (c.req.query('verify') === 'mesh') {
    throw new BadRequestError(
      `?verify=mesh is built for /scenario1 and /scenario2 (${c.req.path} in the mesh is a next step, docs/20-kubernetes.md)`,
    )
  }
  return c.req.query('verify') === 'jwks' ? '?verify=jwks' : ''
}

/** How scenarios 1 and 2 ask their peers to verify, and whether the calls go through the mesh. */
export interface VerifyChoice {
  query: string
  mesh: boolean
}

/**
 * verifyQuery, and `?verify=mesh`: the peers' sidecars verify the token on their plain HTTP
 * ports inside the mesh and the peers trust them (docs/20). Refused before anything is sent,
 * a token from the factory included, when servicea has no mesh URL for one of `peers`.
 */
export function verifyChoice<E extends ServerEnv>(
  c: Context<E>,
  config: ServiceConfig,
  peers: readonly PeerName[],
): VerifyChoice {
  if (c.req.query('verify') !== 'mesh') return { query: verifyQuery(c), mesh: false }
  const unset = peers.find((peer) => config.meshPeers[peer] === undefined)
  if (unset !== undefined) throw meshUrlUnset(unset)
  return { query: '?verify=mesh', mesh: true }
}

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
  mesh = false,
) {
  const [serviceb, servicec] = await Promise.all([
    hops.callPeer(c, trace, { peer: 'serviceb', path, token: forB, mesh }),
    hops.callPeer(c, trace, { peer: 'servicec', path, token: forC, mesh }),
  ])
  const status = Math.max(serviceb.status, servicec.status)
  const body = { serviceb: serviceb.body, servicec: servicec.body }
  return c.json(body, status as ContentfulStatusCode)
}
