import type { RunRequest, ScenarioNumber } from '@jwt-factory/console/api'
import { h } from './dom.ts'

type Variant = 'expired' | 'jwks' | 'fresh' | 'skip'

interface Scenario {
  n: ScenarioNumber
  caption: string
  variants: Variant[]
}

/** The six scenarios; verify=jwks and a fresh token apply where the factory signs. */
export const SCENARIOS: readonly Scenario[] = [
  {
    n: 1,
    caption: 'servicea gets a token from jwt-factory and calls serviceb, which checks it.',
    variants: ['expired', 'jwks', 'fresh'],
  },
  {
    n: 2,
    caption: 'One token per audience: serviceb and servicec, called at once.',
    variants: ['expired', 'jwks', 'fresh'],
  },
  {
    n: 3,
    caption: 'servicea signs its own token; serviceb checks it with servicea’s public key.',
    variants: ['expired'],
  },
  { n: 4, caption: 'Scenario 3 for two audiences at once.', variants: ['expired'] },
  {
    n: 5,
    caption: 'A user logs in; servicea checks the user, then calls serviceb with both tokens.',
    variants: ['expired', 'jwks', 'fresh'],
  },
  {
    n: 6,
    caption:
      'The user’s token is exchanged at each hop, servicea → serviceb → servicec, each named in act.',
    variants: ['skip'],
  },
]

/** The checkboxes' accessible names, as the browser tests find them. */
const VARIANT_NAMES: Record<Variant, string> = {
  expired: 'expired',
  jwks: 'verify with JWKS',
  fresh: 'fresh token',
  skip: 'skip serviceb',
}

export type RunHandler = (request: RunRequest, label: string) => void

/** One card per scenario: its button (`Scenario 1`…) and the variants it takes. */
export function scenarioCards(onRun: RunHandler): HTMLElement[] {
  return SCENARIOS.map((scenario) => {
    const boxes = scenario.variants.map((variant) => {
      const input = h('input', { type: 'checkbox', name: variant })
      return {
        variant,
        input,
        label: h('label', { class: 'variant' }, input, ` ${VARIANT_NAMES[variant]}`),
      }
    })
    const caption = h(
      'p',
      { class: 'caption', id: `scenario-${scenario.n}-caption` },
      scenario.caption,
    )
    const run = () => {
      const on = (variant: Variant) =>
        boxes.some((box) => box.variant === variant && box.input.checked)
      const request: RunRequest = {
        scenario: scenario.n,
        ...(on('expired') ? { expired: true } : {}),
        ...(on('jwks') ? { verify: 'jwks' as const } : {}),
        ...(on('fresh') ? { fresh: true } : {}),
        ...(on('skip') ? { skip: true } : {}),
      }
      const chosen = boxes
        .filter((box) => box.input.checked)
        .map((box) => VARIANT_NAMES[box.variant])
      onRun(request, [`Scenario ${scenario.n}`, ...chosen].join(' · '))
    }
    return h(
      'div',
      { class: 'scenario', role: 'group', 'aria-label': `Scenario ${scenario.n}` },
      h(
        'button',
        { type: 'button', class: 'run', 'aria-describedby': caption.id, onclick: run },
        `Scenario ${scenario.n}`,
      ),
      caption,
      h('div', { class: 'variants' }, ...boxes.map((box) => box.label)),
    )
  })
}
