import type { Check } from '@jwt-factory/jwt'
import type { TokenView } from '@jwt-factory/trace'
import { CHECK_HELP } from './check-help.ts'
import { checkedBy } from './checked-by.ts'
import { h } from './dom.ts'
import type { Hop } from './hop-tree.ts'
import { kidLink } from './kid-link.ts'
import { timelineView } from './timeline-view.ts'

const ICONS: Record<Check['status'], string> = { passed: '✓', failed: '✗', 'not run': '–' }

export interface ChecklistOptions {
  selected: boolean
  onSelect: (id: string) => void
  onKid: (kid: string) => void
}

/**
 * A verification's checks in the order they ran: passed, failed, or not run after the first
 * failure, with what the verifier expected and what the token carried.
 */
export function checklistView(
  hop: Hop,
  token: TokenView | undefined,
  options: ChecklistOptions,
): HTMLElement {
  const report = hop.verification
  const verifier = hop.to
  const header = h(
    'header',
    { class: 'checklist-head' },
    h(
      'h3',
      {},
      h(
        'button',
        {
          type: 'button',
          class: 'link',
          // Selecting draws the checklists again: the id is how the keyboard finds its place.
          id: `checklist-${hop.id}-select`,
          onclick: () => options.onSelect(hop.id),
        },
        h('span', { class: 'hop-id' }, hop.id),
        ` ${verifier} verifies`,
      ),
    ),
    report
      ? h(
          'span',
          { class: report.failed ? 'verdict verdict-failed' : 'verdict verdict-ok' },
          report.failed ? `refused at ${report.failed}` : 'accepted',
        )
      : h('span', { class: 'verdict' }, hop.pending ? 'under way…' : 'no report'),
  )
  if (!report)
    return h('section', { class: 'checklist', 'data-testid': `checklist-${hop.id}` }, header)
  const kid = report.key?.kid
  return h(
    'section',
    {
      class: `checklist${options.selected ? ' selected' : ''}`,
      'data-testid': `checklist-${hop.id}`,
    },
    header,
    h(
      'p',
      { class: 'keys-used' },
      'Key set: ',
      h('strong', {}, report.keys),
      report.keysFetchedSecondsAgo === undefined
        ? ''
        : `, fetched ${report.keysFetchedSecondsAgo} s before`,
      report.key ? ' · key ' : '',
      kid ? kidLink(kid, options.onKid) : null,
      report.key ? ` ${report.key.alg}` : '',
    ),
    h(
      'ol',
      { class: 'checks' },
      ...report.checks.map((check) => checkRow(check, check.name === report.failed, verifier)),
    ),
    timelineView(token, report.clock, verifier),
  )
}

function checkRow(check: Check, first: boolean, verifier: string): HTMLElement {
  const by = checkedBy(check, verifier)
  return h(
    'li',
    {
      class: `check check-${check.status.replace(' ', '-')}${first ? ' check-first-failure' : ''}`,
      'data-check': check.name,
      'data-status': check.status,
    },
    h('span', { class: 'check-icon', 'aria-hidden': 'true' }, ICONS[check.status]),
    h(
      'span',
      { class: 'check-name' },
      check.name,
      h('span', { class: 'visually-hidden' }, `: ${check.status}`),
    ),
    h('span', { class: 'check-help' }, CHECK_HELP[check.name] ?? ''),
    h(
      'span',
      { class: 'check-values' },
      check.expected === undefined
        ? null
        : h('span', {}, 'expected ', h('code', {}, check.expected)),
      check.seen === undefined
        ? null
        : h('span', {}, 'seen ', h('code', { class: first ? 'late' : '' }, check.seen)),
      by === undefined ? null : h('span', { class: 'check-by' }, by),
    ),
    first ? h('strong', { class: 'caught' }, 'caught here') : null,
  )
}
