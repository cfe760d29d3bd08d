import type { ControlState, ProcessInfo } from '@jwt-factory/console/api'
import type { JwksFaultMode } from '@jwt-factory/factory'
import type { ProcessAction } from './api.ts'
import { h, replaceContent } from './dom.ts'

export interface FaultActions {
  process: (name: string, action: ProcessAction) => void
  jwks: (fault: JwksFaultMode) => void
}

const JWKS_FAULTS: readonly { fault: JwksFaultMode; label: string; what: string }[] = [
  { fault: 'none', label: 'normal', what: 'answers at once' },
  { fault: 'slow', label: 'slow', what: 'answers after a verifier’s hop timeout: 504' },
  { fault: 'failing', label: 'failing', what: 'answers 503: 502 at the verifier' },
]

/** What each container last drew, so that a poll that changed nothing leaves it alone. */
const drawn = new WeakMap<HTMLElement, string>()

/**
 * The processes and what can go wrong with them: stop and start (the others keep running),
 * freeze and thaw (SIGSTOP: its callers time out), and the factory's JWKS made slow or failing.
 * Drawn again only when they change: the state is polled every second, and a button rebuilt
 * between the pointer's press and its release never receives the click.
 */
export function renderFaults(
  container: HTMLElement,
  state: ControlState | undefined,
  actions: FaultActions,
): void {
  const shown = JSON.stringify(state ? [state.processes, state.factory?.jwksFault ?? null] : null)
  if (drawn.get(container) === shown) return
  drawn.set(container, shown)
  if (!state) {
    replaceContent(container, h('p', { class: 'hint' }, 'Asking the console for the processes…'))
    return
  }
  const current = state.factory?.jwksFault
  replaceContent(
    container,
    h(
      'table',
      { class: 'processes' },
      h('caption', { class: 'visually-hidden' }, 'The demo’s processes'),
      h('tbody', {}, ...state.processes.map((process) => processRow(process, actions))),
    ),
    h(
      'fieldset',
      { class: 'jwks-fault', disabled: state.factory === null },
      h('legend', {}, 'jwt-factory’s JWKS'),
      ...JWKS_FAULTS.map(({ fault, label, what }) =>
        h(
          'label',
          { class: 'segment', title: what },
          h('input', {
            type: 'radio',
            name: 'jwks-fault',
            id: `jwks-${fault}`,
            value: fault,
            checked: current === fault,
            onchange: () => actions.jwks(fault),
          }),
          ` ${label}`,
        ),
      ),
      h(
        'p',
        { class: 'muted' },
        JWKS_FAULTS.find((f) => f.fault === current)?.what ?? 'jwt-factory is not answering',
      ),
    ),
  )
}

function processRow(process: ProcessInfo, actions: FaultActions): HTMLElement {
  const { name, state } = process
  const button = (action: ProcessAction, label: string, enabled: boolean) =>
    h(
      'button',
      {
        type: 'button',
        class: 'small',
        'aria-label': `${label} ${name}`,
        disabled: !enabled,
        onclick: () => actions.process(name, action),
      },
      label,
    )
  return h(
    'tr',
    { 'data-testid': `process-${name}`, 'data-state': state },
    h('th', { scope: 'row' }, h('span', { class: 'who', 'data-participant': name }, name)),
    h(
      'td',
      {},
      h(
        'span',
        {
          class: `state state-${state}`,
          title: process.pid === undefined ? undefined : `pid ${process.pid}`,
        },
        state,
      ),
    ),
    h(
      'td',
      {},
      h(
        'div',
        { class: 'process-actions' },
        button('stop', 'Stop', state !== 'stopped'),
        button('start', 'Start', state === 'stopped'),
        button('freeze', 'Freeze', state === 'running'),
        button('thaw', 'Thaw', state === 'frozen'),
      ),
    ),
  )
}
