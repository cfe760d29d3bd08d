import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import type { ServerEnv } from '@jwt-factory/server'
import type { ConsoleContext } from '../deps.ts'
import type { ConsoleEvent } from '../events/console-event.ts'

/**
 * `GET /events`: Server-Sent Events, `span`, `log` and `process`, as they happen. A new
 * subscriber first gets every process's current state. When the browser goes away the stream is
 * aborted, the subscription closed and forgotten.
 */
export function eventRoutes({ hub, processes }: ConsoleContext) {
  return new Hono<ServerEnv>().get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const states: ConsoleEvent[] = processes
        .list()
        .map(({ name, state }) => ({ type: 'process', data: { name, state } }))
      const subscription = hub.subscribe(states)
      stream.onAbort(() => subscription.close())
      for await (const event of subscription) {
        await stream.writeSSE({ event: event.type, data: JSON.stringify(event.data) })
        if (stream.aborted) break
      }
    }),
  )
}
