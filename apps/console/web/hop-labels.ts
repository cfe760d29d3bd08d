import type { TokenView } from '@jwt-factory/trace'
import type { Hop } from './hop-tree.ts'
import { shortKid } from './kid-link.ts'
import { formatMs } from './time-format.ts'

/**
 * The words a hop is shown with, the same in the diagram, the token panel and the arrows'
 * accessible names.
 */

/** A refused, failed or timed-out hop: drawn in red. */
export const isFailed = (hop: Hop) =>
  hop.verification?.failed !== undefined || (hop.status !== undefined && hop.status >= 400)

/**
 * A call its callee never answered (connection refused, no answer in time): the caller's own 502
 * or 504, as the span says. Nothing ran at the callee and nothing came back from its lane, so
 * the diagram draws the call lost on its way.
 */
export const isUnanswered = (hop: Hop) =>
  hop.kind === 'call' && !hop.pending && hop.answered === false

/** A token the factory hands back (servicea's, a user's at login) comes with the answer. */
export const tokenComesBack = (hop: Hop) =>
  hop.to === 'jwt-factory' && (hop.token?.source === 'issued' || hop.token?.source === 'user')

const TOKEN_WORDS: Record<NonNullable<TokenView['source']>, string> = {
  cached: 'cached token',
  issued: 'new token',
  'signed locally': 'self-signed token',
  user: 'user token',
}

/** `GET /scenario1-server · cached token`: the request, and the token it carried. */
export function callLabel(hop: Hop): string {
  const source = hop.token?.source
  const call = withoutTraceFlag(hop.call)
  return source && !tokenComesBack(hop) ? `${call} · ${TOKEN_WORDS[source]}` : call
}

/** The console asks servicea with `?trace=1` to get the spans; the lesson is the rest of the query. */
const withoutTraceFlag = (call: string) =>
  call.replace(/\?trace=1&/, '?').replace(/[?&]trace=1(?=$|\s)/, '')

/** `200 · 6.1 ms · issued`: what comes back, with the token when it does. */
export function answerLabel(hop: Hop): string {
  if (hop.status === undefined) return 'waiting…'
  const parts = [String(hop.status)]
  if (hop.ms !== undefined) parts.push(formatMs(hop.ms))
  if (isUnanswered(hop)) parts.push(hop.result!)
  if (tokenComesBack(hop)) parts.push(hop.token?.source === 'user' ? 'user token' : 'issued')
  return parts.join(' · ')
}

/** What a participant did alone: `✓ verified`, `✗ refused: aud`, `signed locally`, `reused its token`. */
export function stepLabel(hop: Hop): string {
  if (hop.pending) return `${hop.kind}…`
  switch (hop.kind) {
    case 'verify': {
      const failed = hop.verification?.failed
      if (failed) return `✗ refused: ${failed}`
      return isFailed(hop) ? `✗ ${hop.result ?? hop.status}` : '✓ verified'
    }
    case 'sign':
      return 'signed a token'
    case 'reuse':
      return 'reused its token'
    default:
      return hop.call
  }
}

/**
 * A step's note in the diagram: what happened and how long it took, then what with: the key
 * set for a verification, the token's audience and key for a token signed or reused.
 */
export function noteLines(hop: Hop): { title: string; text: string } {
  const title = hop.ms === undefined ? stepLabel(hop) : `${stepLabel(hop)} · ${formatMs(hop.ms)}`
  const { aud } = hop.token?.claims ?? {}
  const kid = hop.token?.header.kid
  if (hop.kind === 'verify' || typeof aud !== 'string') return { title, text: hop.call }
  return { title, text: `for ${aud}${typeof kid === 'string' ? ` · kid ${shortKid(kid)}` : ''}` }
}

/** `Hop 1.2, servicea to serviceb: GET /scenario1-server, 200 · 12.9 ms`, for screen readers. */
export function hopName(hop: Hop): string {
  const who = hop.from === hop.to ? hop.from : `${hop.from} to ${hop.to}`
  const what = hop.from === hop.to ? `${stepLabel(hop)} (${hop.call})` : callLabel(hop)
  return `Hop ${hop.id}, ${who}: ${what}, ${answerLabel(hop)}`
}
