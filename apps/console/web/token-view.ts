import type { TokenView } from '@jwt-factory/trace'
import { claimTime, type ClaimTime } from './claim-times.ts'
import { copyButton } from './copy-button.ts'
import { h, replaceContent, type Child } from './dom.ts'
import { answerLabel } from './hop-labels.ts'
import type { Hop } from './hop-tree.ts'
import { jsonValue, jsonView } from './json-view.ts'
import { kidLink } from './kid-link.ts'
import { tokenSegments } from './token-segments.ts'

export interface TokenPanelInput {
  hop?: Hop
  /** The token the hop carried, or for a verification the token it checked. */
  token?: TokenView
  now: number
  /** The request this hop made, as a curl command, when the page can write it. */
  curl?: string
  onKid: (kid: string) => void
}

const SOURCES: Record<NonNullable<TokenView['source']>, string> = {
  issued: 'issued by jwt-factory for this call',
  cached: "reused from servicea's cache",
  'signed locally': 'signed by servicea with its own key',
  user: "the user's token, from POST /login",
}

/** The token at the selected hop, decoded as jwt.io does it: header, payload, signature. */
export function renderTokenPanel(container: HTMLElement, input: TokenPanelInput): void {
  const { hop, token } = input
  if (!hop) {
    replaceContent(
      container,
      h('p', { class: 'hint' }, 'Select a hop in the diagram to see the token it carried.'),
    )
    return
  }
  replaceContent(
    container,
    hopSummary(hop),
    ...(token ? tokenParts(token, input) : [h('p', { class: 'hint' }, noToken(hop))]),
    h(
      'div',
      { class: 'actions' },
      token?.compact ? copyButton('Copy token', token.compact) : null,
      input.curl ? copyButton('Copy as curl', input.curl) : null,
    ),
  )
}

function hopSummary(hop: Hop): HTMLElement {
  const who = hop.from === hop.to ? hop.from : `${hop.from} → ${hop.to}`
  return h(
    'div',
    { class: 'hop-summary' },
    h(
      'p',
      {},
      h('span', { class: 'hop-id' }, hop.id),
      ' ',
      h('strong', {}, who),
      ' ',
      h('code', {}, hop.call),
    ),
    h('p', { class: 'muted' }, answerLabel(hop), hop.result ? ` · ${hop.result}` : ''),
    hop.tls
      ? h(
          'p',
          { class: 'muted' },
          'HTTPS: the certificate names ',
          h('strong', {}, hop.tls.peer),
          ', verified by ',
          hop.tls.ca,
        )
      : null,
  )
}

function tokenParts(token: TokenView, input: TokenPanelInput): HTMLElement[] {
  const segments = token.compact ? tokenSegments(token.compact) : undefined
  const badges: Child[] = [
    token.source ? h('span', { class: 'badge' }, SOURCES[token.source]) : null,
    token.expired ? h('span', { class: 'badge badge-failed' }, 'expired on purpose') : null,
  ]
  const kidValue = (name: string, value: unknown) =>
    name === 'kid' && typeof value === 'string'
      ? kidLink(value, input.onKid, JSON.stringify(value))
      : undefined
  const timeNote = (name: string, value: unknown) => {
    const time = claimTime(name, value, input.now)
    if (!time) return null
    return h(
      'span',
      {
        class: time.late ? 'json-note late' : 'json-note',
        'data-claim': name,
        'data-seconds': String(value),
      },
      noteText(time),
    )
  }
  return [
    h('p', { class: 'badges' }, ...badges),
    segments
      ? h(
          'div',
          { class: 'encoded' },
          h('h3', {}, 'Encoded'),
          h(
            'p',
            { class: 'compact', 'aria-label': 'The compact token' },
            h('span', { class: 'jwt-header' }, segments.header),
            '.',
            h('span', { class: 'jwt-payload' }, segments.payload),
            '.',
            h('span', { class: 'jwt-signature' }, segments.signature),
          ),
        )
      : h(
          'p',
          { class: 'hint' },
          'Decoded only: the compact token and its signature are shown for the tokens of the run’s answer, and never go into a log line.',
        ),
    h(
      'div',
      { class: 'decoded' },
      part(
        'header',
        'Header',
        'algorithm, key id and type',
        jsonView(token.header, { value: kidValue }),
      ),
      part('payload', 'Payload', 'the claims', jsonView(token.claims, { note: timeNote })),
      part('signature', 'Signature', 'over header.payload', signature(token, segments?.signature)),
    ),
  ]
}

const noteText = (time: ClaimTime) => `// ${time.iso} · ${time.relative}`

/**
 * Keeps the time claims' notes (`in 59 min`, an exp gone red) true as the clock runs on: the
 * panel is drawn when a run's spans come, and the learner may read it minutes later. The text
 * changes in place, so a selection in the panel survives.
 */
export function refreshClaimTimes(container: HTMLElement, now: number): void {
  for (const note of container.querySelectorAll<HTMLElement>('.json-note[data-claim]')) {
    const time = claimTime(note.dataset.claim ?? '', Number(note.dataset.seconds), now)
    if (!time) continue
    note.textContent = noteText(time)
    note.classList.toggle('late', time.late)
  }
}

function part(kind: string, title: string, subtitle: string, body: HTMLElement): HTMLElement {
  return h(
    'section',
    { class: `part part-${kind}` },
    h('h3', {}, title, h('span', { class: 'muted' }, ` · ${subtitle}`)),
    body,
  )
}

function signature(token: TokenView, value: string | undefined): HTMLElement {
  const alg = token.header.alg
  if (alg === 'none')
    return h(
      'p',
      { class: 'late' },
      'alg "none": no signature at all. A verifier that pins its algorithm refuses it.',
    )
  if (value === undefined)
    return h(
      'p',
      { class: 'muted' },
      `An `,
      jsonValue(alg),
      ' signature, checked with the key named by kid; not logged.',
    )
  return h(
    'p',
    {},
    h('span', { class: 'jwt-signature mono' }, value),
    h('br'),
    h(
      'span',
      { class: 'muted' },
      `${String(alg)} over base64url(header) + "." + base64url(payload)`,
    ),
  )
}

function noToken(hop: Hop): string {
  if (hop.pending) return 'This hop is still under way.'
  if (hop.from === 'user')
    return 'This request carries no token: servicea gets one of its own for the next hop.'
  return 'This hop carries no token.'
}
