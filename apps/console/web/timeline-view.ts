import type { TokenView } from '@jwt-factory/trace'
import { h } from './dom.ts'
import { isoTime, relativeTime } from './time-format.ts'
import { timeWindow } from './time-window.ts'

const seconds = (value: unknown) =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined

/** iat, exp, the verifier's now and its tolerance band, as a strip under the checklist. */
export function timelineView(
  token: TokenView | undefined,
  clock: { now: string; toleranceSeconds: number },
  verifier: string,
): HTMLElement | null {
  const now = Date.parse(clock.now)
  const claims = token?.claims ?? {}
  const iat = seconds(claims.iat)
  const nbf = seconds(claims.nbf)
  const exp = seconds(claims.exp)
  const window = timeWindow({
    ...(iat === undefined ? {} : { iat }),
    ...(nbf === undefined ? {} : { nbf }),
    ...(exp === undefined ? {} : { exp }),
    now,
    toleranceSeconds: clock.toleranceSeconds,
  })
  if (!window || Number.isNaN(now)) return null
  const band = (cls: string, [from, to]: [number, number], title: string) =>
    h('div', { class: `tl-band ${cls}`, style: `left:${from}%;width:${to - from}%`, title })
  const marks = window.marks.map((mark) =>
    h(
      'div',
      {
        class: [
          'tl-mark',
          `tl-${mark.name}`,
          mark.name === 'now' && !window.accepted ? 'late' : '',
          // A label at either end of the strip reads inward, so the figure never cuts it.
          mark.position > 85 ? 'tl-at-end' : mark.position < 15 ? 'tl-at-start' : '',
        ]
          .filter(Boolean)
          .join(' '),
        style: `left:${mark.position}%`,
        title: `${mark.name} ${isoTime(mark.at)}`,
      },
      h('span', { class: 'tl-label' }, mark.name === 'now' ? `now (${verifier})` : mark.name),
    ),
  )
  return h(
    'figure',
    { class: 'timeline' },
    h(
      'div',
      {
        class: 'tl-axis',
        role: 'img',
        'aria-label': timelineText(
          window.accepted,
          iat,
          exp,
          now,
          clock.toleranceSeconds,
          verifier,
        ),
      },
      band('tl-leeway', window.before, `${clock.toleranceSeconds} s tolerance`),
      band('tl-valid', window.valid, 'the token’s life'),
      band('tl-leeway', window.after, `${clock.toleranceSeconds} s tolerance`),
      ...marks,
    ),
    h(
      'figcaption',
      { class: 'muted' },
      `${clock.toleranceSeconds} s tolerance either side (widened to be seen; not to scale)`,
    ),
  )
}

function timelineText(
  accepted: boolean,
  iat: number | undefined,
  exp: number | undefined,
  now: number,
  tolerance: number,
  verifier: string,
): string {
  const iatText = iat === undefined ? '' : `issued ${relativeTime(iat * 1000, now)}, `
  const expText = exp === undefined ? '' : `expires ${relativeTime(exp * 1000, now)}`
  return `By ${verifier}'s clock the token was ${iatText}${expText}; with ${tolerance} s tolerance it is ${accepted ? 'within' : 'outside'} its time window.`
}
