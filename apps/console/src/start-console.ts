import { listen } from '@jwt-factory/server'
import { createConsoleApp } from './app.ts'
import type { ConsoleConfig } from './config.ts'
import type { ConsoleDeps } from './deps.ts'
import { EventHub } from './events/event-hub.ts'
import { lineEvent } from './events/line-event.ts'

export interface RunningConsole {
  /** As the learner opens it: `http://localhost:4000/`. */
  readonly url: string
  readonly port: number
  readonly hub: EventHub
  /** Ends every event stream, stops hearing the processes, closes the server (see listen). */
  close(graceMs?: number): Promise<void>
}

/**
 * Serves the console on CONSOLE_HOST:CONSOLE_PORT (port 0: a free one) and feeds it every line
 * and state change of the processes. The one way the console runs: `npm start` and the tests.
 */
export async function startConsole(
  config: ConsoleConfig,
  deps: Omit<ConsoleDeps, 'hub'>,
): Promise<RunningConsole> {
  const hub = new EventHub()
  const now = deps.now ?? Date.now
  const app = createConsoleApp(config, { ...deps, hub, now })
  const server = await listen({
    name: 'console',
    fetch: app.fetch,
    hostname: config.host,
    port: config.port,
  })
  const unsubscribe = deps.processes.subscribe({
    line(name, line, stream) {
      const event = lineEvent(name, line, stream, now)
      if (event) hub.publish(event)
    },
    state({ name, state }) {
      hub.publish({ type: 'process', data: { name, state } })
    },
  })
  return {
    url: `http://localhost:${server.port}/`,
    port: server.port,
    hub,
    async close(graceMs) {
      unsubscribe()
      hub.close()
      await server.close(graceMs)
    },
  }
}
