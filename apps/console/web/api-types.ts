import type { ProcessInfo } from '@jwt-factory/console'
import type { Span, TokenView } from '@jwt-factory/trace'

export type { LogEvent, ProcessInfo, ProcessState } from '@jwt-factory/console'

/**
 * What the console server answers, as the contract between the page and the server
 * (apps/console) describes it. The page only reads these shapes.
 */

export type ScenarioNumber = 1 | 2 | 3 | 4 | 5

export interface RunRequest {
  scenario: ScenarioNumber
  expired?: boolean
  verify?: 'factory' | 'jwks'
  fresh?: boolean
}

/** POST /control/run: servicea's answer and its spans (with the compact tokens). */
export interface RunAnswer {
  rid: string
  url: string
  curl: string
  status: number
  body: unknown
  trace: Span[]
}

export const ATTACKS = [
  'edit-claim',
  'alg-none',
  'wrong-audience',
  'wrong-key',
  'user-token',
  'replay-other-audience',
] as const

export type Attack = (typeof ATTACKS)[number]

export interface BreakRequest {
  attack: Attack
  claim?: { name: string; value: unknown }
}

/** POST /control/break: the crafted token and serviceb's answer to it. */
export interface BreakAnswer extends RunAnswer {
  attack: Attack
  description: string
  token: TokenView
}

export type JwksFault = 'none' | 'slow' | 'failing'

export interface FactoryKey {
  kid: string
  alg: string
  active: boolean
  createdAt?: number
}

export interface CachedToken {
  aud: string
  kid: string
  expiresAt: number
  reusedUntil: number
}

/** A verifier's cache of a remote key set (packages/jwt's KeySource.cache()). */
export interface KeySetCache {
  name?: string
  url: string
  /** Absent or null until the set has been fetched. */
  fetchedAt?: number | null
  staleAt?: number | null
  kids: string[]
}

export interface VerifierState {
  keySets: KeySetCache[]
}

/** GET /control/state: each part null while its process is stopped (or unknown). */
export interface ControlState {
  now: number
  processes: ProcessInfo[]
  /** The factory's keys by key id (`servicea`, the users' keys…). */
  factory: { keys: Record<string, FactoryKey[]>; jwksFault: JwksFault } | null
  servicea: {
    tokens: CachedToken[]
    scenario3Key: { kid: string; alg: string; file: string } | null
  } | null
  verifiers: Record<string, VerifierState | null>
}

/** `event: process` on GET /events. */
export type ProcessEvent = Pick<ProcessInfo, 'name' | 'state'>

/** Every error the console answers: `{ error: { code, message } }`. */
export interface ErrorAnswer {
  error: { code: string; message: string }
}
