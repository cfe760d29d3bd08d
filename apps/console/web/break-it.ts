import { ATTACKS, type AttackName, type BreakRequest } from '@jwt-factory/console/api'
import { h } from './dom.ts'

interface AttackInfo {
  attack: AttackName
  /** The button's accessible name, as the browser tests find it. */
  name: string
  what: string
}

/** Keyed by the server's attacks: one it adds does not compile until it has its button here. */
const ABOUT_ATTACK: Record<AttackName, Omit<AttackInfo, 'attack'>> = {
  'edit-claim': {
    name: 'Edit a claim',
    what: 'A real servicea token with one claim changed; the signature kept.',
  },
  'alg-none': {
    name: 'alg: none',
    what: 'The header says alg "none" and there is no signature.',
  },
  'wrong-audience': {
    name: 'Wrong audience',
    what: 'A real servicea token, but made for servicec.',
  },
  'wrong-key': {
    name: 'Wrong key',
    what: 'Signed by a key the console made, not servicea’s.',
  },
  'user-token': {
    name: 'User token in the service slot',
    what: 'The viewer’s user token (at+jwt) where servicea’s belongs.',
  },
  'replay-other-audience': {
    name: 'Replay for another audience',
    what: 'The token servicea last sent to servicec, replayed at serviceb.',
  },
}

/** The buttons in the server's order of its attacks. */
export const ATTACK_INFO: readonly AttackInfo[] = ATTACKS.map((attack) => ({
  attack,
  ...ABOUT_ATTACK[attack],
}))

export type BreakHandler = (request: BreakRequest, label: string) => void

/** The attack buttons; "Edit a claim" takes the claim and its new value (default `sub: "admin"`). */
export function breakControls(onBreak: BreakHandler): HTMLElement {
  const claimName = h('input', {
    type: 'text',
    value: 'sub',
    size: 8,
    spellcheck: 'false',
    'aria-label': 'claim',
  })
  const claimValue = h('input', {
    type: 'text',
    value: 'admin',
    size: 10,
    spellcheck: 'false',
    'aria-label': 'new value',
  })
  const rows = ATTACK_INFO.map((info) => {
    const send = () => {
      const request: BreakRequest = { attack: info.attack }
      if (info.attack === 'edit-claim')
        request.claim = {
          name: claimName.value.trim() || 'sub',
          value: jsonOrText(claimValue.value),
        }
      onBreak(request, `Break it · ${info.name}`)
    }
    return h(
      'li',
      { class: 'attack' },
      h('button', { type: 'button', onclick: send }, info.name),
      h('span', { class: 'attack-what' }, info.what),
      info.attack === 'edit-claim'
        ? h(
            'span',
            { class: 'claim-edit' },
            claimName,
            h('span', { 'aria-hidden': 'true' }, ':'),
            claimValue,
          )
        : null,
    )
  })
  return h('ul', { class: 'attacks' }, ...rows)
}

/** `9999999999` as a number, `true` as a boolean, `"x"` or plain `admin` as text. */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}
