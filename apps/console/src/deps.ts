import type { HttpClient } from '@jwt-factory/http-client'
import type { Logger } from '@jwt-factory/server'
import type { ConsoleConfig } from './config.ts'
import type { EventHub } from './events/event-hub.ts'
import type { ConsoleClient } from './peers/console-client.ts'
import type { ProcessController } from './process-controller.ts'

/** What the console app is built from; tests pass their own. */
export interface ConsoleDeps {
  /** The demo's processes: npm start's Supervisor. */
  processes: ProcessController
  /** The one HTTPS client, trusting the project's CA alone. */
  http: HttpClient
  /** Where the processes' lines become Server-Sent Events. */
  hub: EventHub
  logger: Logger
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number
  /** The factory's admin credential, when it has one (always beyond loopback). */
  adminToken?: string
}

export interface ConsoleContext extends ConsoleDeps {
  config: ConsoleConfig
  now: () => number
  /** Requests to the processes, each with the run's request id. */
  client: ConsoleClient
}
