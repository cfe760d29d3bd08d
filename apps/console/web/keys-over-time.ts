import type { ControlState } from '@jwt-factory/console/api'
import type { KeyState } from '@jwt-factory/factory'
import { jwksCountdowns, tokenCountdowns, type Countdown } from './countdowns.ts'
import { h, replaceContent } from './dom.ts'
import { shortKid } from './kid-link.ts'

/**
 * The countdowns of servicea's token cache and each verifier's JWKS cache, re-drawn every tick
 * against the server's clock.
 */
export function renderCountdowns(
  container: HTMLElement,
  state: ControlState | undefined,
  now: number,
): void {
  if (!state) {
    replaceContent(container, h('p', { class: 'hint' }, 'Waiting for the caches’ state…'))
    return
  }
  const tokens = tokenCountdowns(state, now)
  replaceContent(
    container,
    h('h3', {}, 'servicea’s token cache'),
    ...(tokens.length > 0
      ? tokens.map(countdownRow)
      : [
          h(
            'p',
            { class: 'muted' },
            state.servicea ? 'empty: the next call asks jwt-factory' : 'servicea is not answering',
          ),
        ]),
    h('h3', {}, 'The verifiers’ copies of servicea’s public keys'),
    ...jwksCountdowns(state, now).map(countdownRow),
  )
}

function countdownRow(countdown: Countdown): HTMLElement {
  const done = countdown.remaining === 0
  return h(
    'div',
    {
      class: `countdown${done ? ' countdown-done' : ''}`,
      'data-testid': countdown.testid,
      'data-remaining':
        countdown.remaining === undefined ? undefined : Math.round(countdown.remaining),
    },
    h(
      'p',
      {},
      h('strong', {}, countdown.title),
      countdown.kid ? h('span', { class: 'muted mono' }, ` · ${shortKid(countdown.kid)}`) : '',
    ),
    countdown.fraction === undefined
      ? null
      : h(
          'div',
          { class: 'meter', role: 'presentation' },
          h('div', {
            class: 'meter-fill',
            style: `width:${(countdown.fraction * 100).toFixed(1)}%`,
          }),
        ),
    h('p', { class: 'muted' }, countdown.text),
  )
}

/**
 * The key "Retire the old key" retires: the newest of servicea's keys that no longer signs
 * (the one a rotation just replaced); none when only the active key is left.
 */
export function oldKey(state: ControlState | undefined): KeyState | undefined {
  const old = (state?.factory?.keys.servicea ?? []).filter((key) => !key.active)
  // Newest first by createdAt; without it, the factory's order (oldest first) read backwards.
  return old.reverse().sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0]
}
