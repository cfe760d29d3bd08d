import { Hono, type Context } from 'hono'
import { JWKS_FAULTS } from '@jwt-factory/factory'
import { BadGatewayError, ConflictError, HttpError, type ServerEnv } from '@jwt-factory/server'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
import { z } from 'zod'
import type { ProcessEvent } from '../api.ts'
import type { ConsoleErrorCode } from '../console-error.ts'
import type { ConsoleContext } from '../deps.ts'
import type { Exchange } from '../peers/console-client.ts'
import type { ProcessInfo } from '../process-controller.ts'
import { readBody } from './read-body.ts'

const RetireRequest = z.strictObject({ kid: z.string().min(1).max(128) })
const JwksFaultRequest = z.strictObject({ fault: z.enum(JWKS_FAULTS) })
const ACTIONS = ['stop', 'start', 'freeze', 'thaw'] as const

/**
 * The faults and keys of the page's sections 7 and 8: servicea's key rotated and retired at the
 * factory, the factory's JWKS made slow or failing, a process stopped, started, frozen, thawed.
 * The factory's answers come back as they are (status and body).
 */
export function controlRoutes({ client, processes }: ConsoleContext) {
  const rid = 'console-control'
  const asAnswered = (c: Context<ServerEnv>, res: Exchange) =>
    c.json(res.body as object, res.status as ContentfulStatusCode)

  return new Hono<ServerEnv>()
    .post('/control/keys/servicea/rotate', async (c) =>
      asAnswered(
        c,
        await client.send('jwt-factory', '/keys/servicea', {
          rid,
          method: 'POST',
          headers: client.adminHeaders(),
        }),
      ),
    )
    .post('/control/keys/servicea/retire', async (c) => {
      const { kid } = await readBody(c, RetireRequest)
      const path = `/keys/servicea/${encodeURIComponent(kid)}`
      const headers = client.adminHeaders()
      return asAnswered(
        c,
        await client.send('jwt-factory', path, { rid, method: 'DELETE', headers }),
      )
    })
    .post('/control/jwks', async (c) => {
      const { fault } = await readBody(c, JwksFaultRequest)
      const res = await client.send('jwt-factory', '/control/jwks-fault', { rid, body: { fault } })
      return asAnswered(c, res)
    })
    .post('/control/processes/:name/:action', async (c) => {
      const { name, action } = c.req.param()
      const current = processes.list().find((p) => p.name === name)
      if (!current || !ACTIONS.includes(action as never)) {
        const names = processes
          .list()
          .map((p) => p.name)
          .join(', ')
        throw new HttpError<ConsoleErrorCode>(
          404,
          'ERR_UNKNOWN_PROCESS',
          `no process ${name.slice(0, 64)} to ${action.slice(0, 16)}: the processes are ${names}; the actions ${ACTIONS.join(', ')}`,
        )
      }
      const info = await act(processes, current, action as (typeof ACTIONS)[number])
      return c.json({ name: info.name, state: info.state } satisfies ProcessEvent)
    })
}

async function act(
  processes: ConsoleContext['processes'],
  current: ProcessInfo,
  action: (typeof ACTIONS)[number],
): Promise<ProcessInfo> {
  const { name, state } = current
  if ((action === 'freeze' || action === 'thaw') && state === 'stopped') {
    throw new ConflictError(`${name} is stopped: start it before you ${action} it`)
  }
  switch (action) {
    case 'stop':
      return processes.stop(name)
    case 'start':
      // One that exits before it is healthy (its port taken, say) is the hop that cannot answer.
      return processes.start(name).catch((err: unknown) => {
        const why = err instanceof Error ? (err.message.split('\n')[0] ?? '') : String(err)
        throw new BadGatewayError(name, `${name} did not start: ${why}`)
      })
    case 'freeze':
      return processes.freeze(name)
    case 'thaw':
      return processes.thaw(name)
  }
}
