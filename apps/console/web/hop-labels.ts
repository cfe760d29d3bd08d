import type { Hop } from './hop-tree.ts'
import { formatMs } from './time-format.ts'

/**
 * The words a hop is shown with, the same in the diagram, the token panel and the arrows'
 * accessible names.
 */

/** A refused, failed or timed-out hop: drawn in red. */
export const isFailed = (hop: Hop) =>
  hop.verification?.failed !== undefined || (hop.status !== undefined && hop.status >= 400)

/** `200 · 6.1 ms · issued`: what comes back. */
export function answerLabel(hop: Hop): string {
  if (hop.status === undefined) return 'waiting…'
  const parts = [String(hop.status)]
  if (hop.ms !== undefined) parts.push(formatMs(hop.ms))
  if (hop.token?.source === 'issued' || hop.token?.source === 'cached') parts.push(hop.token.source)
  return parts.join(' · ')
}

/** What a participant did alone: `verified`, `refused: aud`, `signed locally`, `reused its token`. */
export function stepLabel(hop: Hop): string {
  if (hop.pending) return `${hop.kind}…`
  switch (hop.kind) {
    case 'verify': {
      const failed = hop.verification?.failed
      if (failed) return `✗ refused: ${failed}`
      return isFailed(hop) ? `✗ ${hop.result ?? hop.status}` : '✓ verified'
    }
    case 'sign':
      return 'signed locally'
    case 'reuse':
      return 'reused its cached token'
    default:
      return hop.call
  }
}

/** `1.2 servicea to serviceb: GET /scenario1-server, 200 · 12.9 ms`, for screen readers. */
export function hopName(hop: Hop): string {
  const who = hop.from === hop.to ? hop.from : `${hop.from} to ${hop.to}`
  const what = hop.from === hop.to ? `${stepLabel(hop)} (${hop.call})` : hop.call
  return `Hop ${hop.id}, ${who}: ${what}, ${answerLabel(hop)}`
}
