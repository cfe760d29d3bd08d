import { Hono } from 'hono'
import { BadRequestError, type ServerEnv } from '@jwt-factory/server'
import { loggableSpan, treeOrder, viewToken, type Span } from '@jwt-factory/trace'
import { z } from 'zod'
import type { RunAnswer } from '../api.ts'
import { curlCommand } from '../curl.ts'
import type { ConsoleContext } from '../deps.ts'
import { callSpan, newRunId, splitTrace } from './console-run.ts'
import { readBody } from './read-body.ts'

export const runRequestSchema = z.strictObject({
  scenario: z.union([
    z.literal(1),
    z.literal(2),
    z.literal(3),
    z.literal(4),
    z.literal(5),
    z.literal(6),
  ]),
  expired: z.boolean().optional(),
  verify: z.enum(['factory', 'jwks']).optional(),
  fresh: z.boolean().optional(),
  /** Scenario 6 only: servicea asks for a token for servicec straight away, past the policy. */
  skip: z.boolean().optional(),
})

/** Scenarios 3 and 4 verify with servicea's own key: there is no factory to ask, or JWKS to use. */
const VERIFY_CHOICE = new Set([1, 2, 5])
/** Scenario 6 tokens are exchanged at each hop: no cached token to expire, refresh or check twice. */
const NO_VARIANTS = new Set([6])
/** The scenarios a user takes part in: the console logs the demo user in first, as span `0`. */
const USER_SCENARIOS = new Set([5, 6])

/**
 * `POST /control/run`: the console plays the learner. It calls servicea's `/scenarioN?trace=1…`
 * as curl would, and answers servicea's status and body, the spans of the run (with the compact
 * tokens), and the curl command that repeats it. Scenarios 5 and 6 first log the demo user in,
 * and that login is span `0`. A servicea that cannot answer is its 502/504, drawn as span `1`.
 */
export function runRoutes(ctx: ConsoleContext) {
  const { config, client, hub } = ctx
  const publish = (span: Span) => hub.publish({ type: 'span', data: loggableSpan(span) })

  return new Hono<ServerEnv>().post('/control/run', async (c) => {
    const run = await readBody(c, runRequestSchema)
    if (run.verify !== undefined && !VERIFY_CHOICE.has(run.scenario)) {
      throw new BadRequestError(
        `scenario ${run.scenario} has no verify choice: servicea's own key verifies it`,
      )
    }
    if (NO_VARIANTS.has(run.scenario) && (run.expired || run.verify || run.fresh)) {
      throw new BadRequestError(
        `scenario ${run.scenario} exchanges the token at each hop: it has no expired, verify or fresh variant`,
      )
    }
    if (run.skip && run.scenario !== 6) {
      throw new BadRequestError('only scenario 6 has the skip variant (past the exchange policy)')
    }
    const rid = newRunId()
    const query = new URLSearchParams({ trace: '1' })
    if (run.expired) query.set('expired', '1')
    if (run.verify === 'jwks') query.set('verify', 'jwks')
    if (run.fresh) query.set('fresh', '1')
    if (run.skip) query.set('skip', '1')
    const path = `/scenario${run.scenario}?${query}`
    const url = `${client.urlOf('servicea')}${path}`
    const spans: Span[] = []
    const headers: Record<string, string> = {}

    if (USER_SCENARIOS.has(run.scenario)) {
      const login = await client.login(rid, 'servicea')
      const span = callSpan(rid, '0', 'jwt-factory', 'POST /login', login)
      if (login.token) span.token = viewToken(login.token, { source: 'user' })
      spans.push(span)
      publish(span)
      if (!login.token) {
        return c.json({
          rid,
          url,
          curl: curlCommand(config.curlCaFile, url),
          status: login.status,
          body: login.body,
          trace: spans,
        } satisfies RunAnswer)
      }
      headers.Authorization = `Bearer ${login.token}`
    }

    const answer = await client.send('servicea', path, {
      rid,
      headers,
      timeoutMs: config.runTimeoutMs,
    })
    if (answer.failure) {
      const span = callSpan(rid, '1', 'servicea', `GET ${path}`, answer)
      spans.push(span)
      publish(span)
    }
    const { trace, body } = splitTrace(answer.body)
    return c.json({
      rid,
      url,
      curl: curlCommand(config.curlCaFile, url, headers),
      status: answer.status,
      body,
      trace: treeOrder([...spans, ...trace]),
    } satisfies RunAnswer)
  })
}
