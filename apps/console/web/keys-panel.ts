import type { ControlState } from '@jwt-factory/console/api'
import type { KeyState } from '@jwt-factory/factory'
import type { KeySetState } from '@jwt-factory/service'
import { h, replaceContent, type Child } from './dom.ts'
import type { LitKeys } from './hop-selection.ts'
import type { KeyUsed } from './keys-used.ts'
import { shortKid } from './kid-link.ts'
import { relativeTime } from './time-format.ts'

export interface KeysPanelInput {
  state?: ControlState
  /**
   * The keys the selected hop used: a private half lights where a token it signed went by, a
   * public copy only at the verifier that checked with it.
   */
  lit: LitKeys
  /** The kid the learner followed from a token: it lights wherever it is held. */
  flashed?: string
  /** The keys the run's verifications found, for those no key set in the state lists. */
  used: readonly KeyUsed[]
  now: number
}

/**
 * Who holds which key: the private halves where tokens are signed (the factory; servicea's disk in
 * scenarios 3 and 4) and the public halves where they are checked. Scenario 1 lights the
 * factory's key and a verifier's cached copy; scenario 3 lights servicea's own: where trust lives.
 */
export function renderKeysPanel(
  container: HTMLElement,
  { state, lit, flashed, used, now }: KeysPanelInput,
): void {
  if (!state) {
    replaceContent(container, h('p', { class: 'hint' }, 'Asking the console which keys are where…'))
    return
  }
  const isLit = (holderName: string, kid: string, kind: 'private' | 'public') =>
    kid === flashed ||
    lit.checkedBy.get(holderName)?.has(kid) === true ||
    (kind === 'private' && lit.signed.has(kid))
  const keyOf =
    (holderName: string) =>
    (kid: string, kind: 'private' | 'public', ...details: Child[]) => {
      const on = isLit(holderName, kid, kind)
      return h(
        'li',
        {
          class: `key key-${kind}`,
          'data-kid': kid,
          'data-lit': on,
          ...(kind === 'private' ? { id: `key-${kid}` } : {}),
        },
        h('span', { class: `key-kind key-kind-${kind}` }, kind),
        h('code', { class: 'mono', title: kid }, shortKid(kid)),
        ...details,
        // The light is a colour: a screen reader hears it in words.
        on ? h('span', { class: 'visually-hidden' }, ', used by the selected hop') : null,
      )
    }
  const factory = state.factory
  const servicea = state.servicea
  replaceContent(
    container,
    h(
      'p',
      { class: 'muted' },
      'Private keys sign; public keys only verify. The keys the selected hop used are lit.',
    ),
    holder(
      'jwt-factory',
      'signs scenario 1, 2 and 5 tokens; servicea never sees these keys',
      factory
        ? h(
            'div',
            {},
            ...Object.entries(factory.keys).map(([keyId, keys]) =>
              h(
                'div',
                { class: 'key-set' },
                h('p', { class: 'key-set-name' }, possessive(keyId, 'keys')),
                list(
                  keys.map((k) =>
                    keyOf('jwt-factory')(k.kid, 'private', k.alg, factoryKeyState(k, now)),
                  ),
                  'none yet',
                ),
              ),
            ),
          )
        : down('jwt-factory'),
    ),
    holder(
      'servicea',
      'signs scenario 3 and 4 tokens itself, with a key on its own disk',
      servicea
        ? list(
            servicea.scenario3Key
              ? [
                  keyOf('servicea')(
                    servicea.scenario3Key.kid,
                    'private',
                    servicea.scenario3Key.alg,
                    h('span', { class: 'key-state' }, `on disk: ${servicea.scenario3Key.file}`),
                  ),
                ]
              : [],
            'no scenario-3 key on disk',
          )
        : down('servicea'),
    ),
    ...Object.entries(state.verifiers).map(([name, verifier]) =>
      holder(
        name,
        'checks tokens with public keys only',
        verifier
          ? h(
              'div',
              {},
              ...verifier.keySets.map((set) => keySet(set, keyOf(name), now)),
              list(
                used
                  .filter((u) => u.verifier === name)
                  .filter((u) => !verifier.keySets.some((set) => set.kids.includes(u.kid)))
                  .map((u) =>
                    keyOf(name)(
                      u.kid,
                      'public',
                      u.alg,
                      h('span', { class: 'key-state' }, `${u.keys}, used in this run`),
                    ),
                  ),
                '',
              ),
            )
          : down(name),
      ),
    ),
  )
}

function holder(name: string, role: string, body: HTMLElement | string): HTMLElement {
  return h(
    'section',
    { class: 'holder', 'data-participant': name },
    h('h3', {}, name),
    h('p', { class: 'holder-role' }, role),
    body,
  )
}

function keySet(
  set: KeySetState,
  key: (kid: string, kind: 'public', ...details: Child[]) => HTMLElement,
  now: number,
): HTMLElement {
  const fetched =
    typeof set.fetchedAt === 'number'
      ? `fetched ${relativeTime(set.fetchedAt, now)}`
      : 'not fetched yet'
  return h(
    'div',
    { class: 'key-set' },
    h(
      'p',
      { class: 'key-set-name' },
      set.name ?? set.url,
      h('span', { class: 'muted' }, ` · ${fetched}`),
    ),
    list(
      set.kids.map((kid) => key(kid, 'public')),
      'no keys cached',
    ),
  )
}

function factoryKeyState(key: KeyState, now: number): HTMLElement {
  const created = key.createdAt === undefined ? '' : `, made ${relativeTime(key.createdAt, now)}`
  return h(
    'span',
    { class: key.active ? 'key-state key-active' : 'key-state' },
    key.active ? 'signs new tokens' : 'old: verifies only',
    created,
  )
}

function list(items: HTMLElement[], empty: string): HTMLElement | string {
  if (items.length > 0) return h('ul', { class: 'keys' }, ...items)
  return empty ? h('p', { class: 'keys-empty' }, empty) : ''
}

const down = (name: string) =>
  h('p', { class: 'hint' }, `${name} is not answering: stopped or frozen.`)

/** `servicea's keys`, `users' keys`. */
const possessive = (owner: string, thing: string) =>
  `${owner}${owner.endsWith('s') ? "'" : "'s"} ${thing}`
