import { Hono } from 'hono'
import { BadGatewayError, type ServerEnv } from '@jwt-factory/server'
import {
  loggableSpan,
  treeOrder,
  TRACE_HEADER,
  TRACE_PARENT_HEADER,
  viewToken,
} from '@jwt-factory/trace'
import { z } from 'zod'
import type { BreakAnswer } from '../api.ts'
import { ATTACKS } from '../attacks/attack-names.ts'
import { createAttackCrafter, type TokenSupply } from '../attacks/break-attacks.ts'
import { curlCommand } from '../curl.ts'
import type { ConsoleContext } from '../deps.ts'
import type { ConsoleClient } from '../peers/console-client.ts'
import { readBody } from './read-body.ts'
import { callSpan, newRunId, splitTrace } from './console-run.ts'

export const breakRequestSchema = z.strictObject({
  attack: z.enum(ATTACKS),
  claim: z.strictObject({ name: z.string().min(1).max(64), value: z.unknown() }).optional(),
})

/** Where every attack is sent: serviceb's scenario-1 side, verifying with the factory's JWKS. */
const TARGET_PATH = '/scenario1-server?verify=jwks'

/**
 * `POST /control/break`: crafts the attack's token from real ones and sends it to serviceb in
 * servicea's place, traced under span `1` (the console's call), so serviceb's verify span shows
 * which check caught it. Answers serviceb's status and body, the token, and the curl to repeat it.
 */
export function breakRoutes(ctx: ConsoleContext) {
  const { config, client, hub } = ctx
  const craft = createAttackCrafter()

  return new Hono<ServerEnv>().post('/control/break', async (c) => {
    const { attack, claim } = await readBody(c, breakRequestSchema)
    const rid = newRunId()
    const crafted = await craft(attack, tokenSupply(client, rid), claim)
    const authorization = { Authorization: `Bearer ${crafted.token}` }
    const answer = await client.send('serviceb', TARGET_PATH, {
      rid,
      headers: { ...authorization, [TRACE_HEADER]: '1', [TRACE_PARENT_HEADER]: '1' },
      timeoutMs: config.runTimeoutMs,
    })
    const token = viewToken(crafted.token, crafted.source ? { source: crafted.source } : {})
    const span = { ...callSpan(rid, '1', 'serviceb', `GET ${TARGET_PATH}`, answer), token }
    hub.publish({ type: 'span', data: loggableSpan(span) })
    const { trace, body } = splitTrace(answer.body)
    return c.json({
      rid,
      attack,
      description: crafted.description,
      token,
      curl: curlCommand(
        config.curlCaFile,
        `${client.urlOf('serviceb')}${TARGET_PATH}`,
        authorization,
      ),
      status: answer.status,
      body,
      trace: treeOrder([span, ...trace]),
    } satisfies BreakAnswer)
  })
}

/** The real tokens an attack starts from, fetched under the attack's request id. */
function tokenSupply(client: ConsoleClient, rid: string): TokenSupply {
  return {
    serviceToken: (aud) => client.serviceToken(rid, aud),
    async userToken(aud) {
      const login = await client.login(rid, aud)
      if (login.failure) throw login.failure
      if (!login.token) {
        throw new BadGatewayError(
          'jwt-factory',
          `jwt-factory did not log the demo user in (${login.status})`,
        )
      }
      return login.token
    },
    async lastSentTo(peer) {
      // Scenario 2 makes servicea send its (cached) token for each peer; its trace carries them.
      const run = await client.send('servicea', '/scenario2?trace=1', { rid: `${rid}-replay` })
      if (run.failure) throw run.failure
      const sent = splitTrace(run.body).trace.find(
        (s) => s.kind === 'call' && s.from === 'servicea' && s.to === peer && s.token?.compact,
      )
      if (!sent?.token?.compact) {
        throw new BadGatewayError(
          'servicea',
          `servicea's trace of scenario 2 shows no token sent to ${peer}`,
        )
      }
      return sent.token.compact
    },
  }
}
