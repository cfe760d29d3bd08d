import type { FactoryControlState } from '@jwt-factory/factory'
import type { CallerState, ServiceState } from '@jwt-factory/service'
import type { Span, TokenView } from '@jwt-factory/trace'
import type { z } from 'zod'
import type { AttackName } from './attacks/attack-names.ts'
import type { ProcessInfo } from './process-controller.ts'
import type { breakRequestSchema } from './routes/break.ts'
import type { runRequestSchema } from './routes/run.ts'

/**
 * What the console server takes and answers, the contract its page reads: the routes answer
 * these types (so tsc checks they answer what the page reads), the requests are their
 * validators' output, and the processes' parts are the types their own routes answer. Errors
 * are every app's HttpErrorBody (@jwt-factory/server). Types only, besides the attacks' names:
 * the page bundles this module.
 */

export { ATTACKS, type AttackName } from './attacks/attack-names.ts'
export type { LogEvent } from './events/console-event.ts'
export type { ProcessInfo, ProcessState } from './process-controller.ts'

/** `POST /control/run`. */
export type RunRequest = z.output<typeof runRequestSchema>

export type ScenarioNumber = RunRequest['scenario']

/** `POST /control/run`: servicea's answer without its trace, and its spans (compact tokens). */
export interface RunAnswer {
  rid: string
  url: string
  curl: string
  status: number
  body: unknown
  trace: Span[]
}

/** `POST /control/break`. */
export type BreakRequest = z.output<typeof breakRequestSchema>

/** `POST /control/break`: the crafted token and serviceb's answer to it. */
export interface BreakAnswer extends Omit<RunAnswer, 'url'> {
  attack: AttackName
  description: string
  token: TokenView
}

/** `GET /control/state`: each process's part null while it is stopped, frozen or not answering. */
export interface ControlState {
  /** The console's clock (ms since the epoch), which the page's countdowns count from. */
  now: number
  processes: ProcessInfo[]
  /** The files a hop's curl names, as a shell at the repository's root names them. */
  files: CurlFiles
  factory: FactoryControlState | null
  servicea: CallerState | null
  verifiers: { serviceb: ServiceState | null; servicec: ServiceState | null }
}

export interface CurlFiles {
  /** The CA that vouches for every HTTPS port: `certs/ca.pem`. */
  ca: string
  /** The folder of the services' OAuth client secrets, one file per service. */
  clientSecrets: string
}

/** `event: process` on `GET /events`, and the answer to `POST /control/processes/:name/:action`. */
export type ProcessEvent = Pick<ProcessInfo, 'name' | 'state'>
