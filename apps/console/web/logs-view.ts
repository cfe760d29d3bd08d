import type { LogEvent } from '@jwt-factory/console/api'
import { h, replaceContent } from './dom.ts'
import { timeOfDay } from './time-format.ts'

/** The log lines of the run on show, from every process, one row each. */
export function renderLogs(
  container: HTMLElement,
  lines: readonly LogEvent[],
  rid: string | undefined,
): void {
  if (lines.length === 0) {
    const hint = rid
      ? `No log lines for ${rid} yet.`
      : 'The log lines of a run appear here, from every process.'
    replaceContent(container, h('p', { class: 'hint' }, hint))
    return
  }
  const atBottom = container.scrollTop + container.clientHeight >= container.scrollHeight - 8
  replaceContent(
    container,
    h(
      'table',
      { class: 'logs' },
      h('caption', { class: 'visually-hidden' }, `Log lines of ${rid ?? 'the run'}`),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          h('th', {}, 'time'),
          h('th', {}, 'process'),
          h('th', {}, 'level'),
          h('th', {}, 'message'),
        ),
      ),
      h(
        'tbody',
        {},
        ...lines.map((line) =>
          h(
            'tr',
            { class: `log log-${line.level}` },
            h('td', { class: 'mono muted' }, timeOfDay(line.time)),
            h(
              'td',
              {},
              h('span', { class: 'who', 'data-participant': line.process }, line.process),
            ),
            h('td', { class: 'level' }, line.level),
            h('td', { class: 'mono' }, line.msg),
          ),
        ),
      ),
    ),
  )
  // Follow new lines as a terminal does, unless the learner scrolled up to read.
  if (atBottom) container.scrollTop = container.scrollHeight
}
