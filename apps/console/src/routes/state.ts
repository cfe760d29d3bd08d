import { Hono } from 'hono'
import type { FactoryControlState } from '@jwt-factory/factory'
import type { ServerEnv } from '@jwt-factory/server'
import type { CallerState, ServiceState } from '@jwt-factory/service'
import type { ControlState } from '../api.ts'
import type { ConsoleContext } from '../deps.ts'
import type { Target } from '../peers/console-client.ts'

/**
 * `GET /control/state`, polled every second by the page: the processes, and what each running one
 * says of itself at its loopback `GET /control/state` (the factory's keys and JWKS fault,
 * servicea's cached tokens and scenario-3 key, each verifier's key sets). A part is `null` when
 * its process is stopped or frozen (it is not asked: a frozen one would only time out), gives no
 * answer within STATE_TIMEOUT_MS, or has no such endpoint.
 */
export function stateRoutes({ config, client, processes, now }: ConsoleContext) {
  const rid = 'console-state'
  return new Hono<ServerEnv>().get('/control/state', async (c) => {
    const list = processes.list()
    // A process's answer is taken as the type its own route answers: they are built together.
    const part = async <State>(target: Target): Promise<State | null> => {
      if (list.find((p) => p.name === target)?.state !== 'running') return null
      const res = await client.send(target, '/control/state', {
        rid,
        timeoutMs: config.stateTimeoutMs,
      })
      return res.status === 200 ? (res.body as State) : null
    }
    const [factory, servicea, serviceb, servicec] = await Promise.all([
      part<FactoryControlState>('jwt-factory'),
      part<CallerState>('servicea'),
      part<ServiceState>('serviceb'),
      part<ServiceState>('servicec'),
    ])
    return c.json({
      now: now(),
      processes: list,
      files: { ca: config.curlCaFile, clientSecrets: config.curlClientSecretsDir },
      factory,
      servicea,
      verifiers: { serviceb, servicec },
    } satisfies ControlState)
  })
}
