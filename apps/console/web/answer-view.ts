import { copyButton } from './copy-button.ts'
import { h, replaceContent } from './dom.ts'
import type { RunView } from './run-store.ts'

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

/**
 * The answer to the run on show: its status (`answer-status`), the body as servicea (or serviceb,
 * for an attack) wrote it, and the curl command that repeats the request. The summary line is
 * a live region: a screen reader hears the status when it comes.
 */
export function renderAnswer(
  container: HTMLElement,
  summary: HTMLElement,
  view: RunView | undefined,
): void {
  if (!view) {
    say(summary, '')
    replaceContent(container, h('p', { class: 'hint' }, 'The answer of a run appears here.'))
    return
  }
  if (view.phase === 'failed') {
    say(summary, `${view.label}: the console could not run it.`)
    replaceContent(container, h('p', { class: 'error', role: 'alert' }, view.error ?? 'failed'))
    return
  }
  const answer = view.answer
  if (!answer) {
    say(summary, `${view.label}: running…`)
    replaceContent(container, h('p', { class: 'hint' }, `${view.label}: waiting for the answer…`))
    return
  }
  const ok = answer.status < 400
  const status = `${answer.status} ${REASONS[answer.status] ?? ''}`.trim()
  say(summary, `${view.label}: ${status}`)
  replaceContent(
    container,
    h(
      'p',
      { class: 'answer-head' },
      h(
        'span',
        {
          class: `status ${ok ? 'status-ok' : 'status-failed'}`,
          'data-testid': 'answer-status',
          'data-status': answer.status,
        },
        status,
      ),
      h('span', { class: 'muted' }, ` ${view.label} · `, h('code', {}, answer.rid)),
    ),
    'description' in answer ? h('p', {}, answer.description) : '',
    h('pre', { class: 'json body' }, JSON.stringify(answer.body, null, 2)),
    h(
      'div',
      { class: 'curl' },
      h('code', { class: 'mono' }, answer.curl),
      copyButton('Copy', answer.curl, 'Copy the request as curl'),
    ),
  )
}

/**
 * The summary is a live region and the run is drawn again at every span: it changes only when
 * its words do, so a screen reader hears "running…" once, then the status.
 */
function say(summary: HTMLElement, text: string): void {
  if (summary.textContent !== text) summary.textContent = text
}
