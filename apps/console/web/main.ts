import { api, ConsoleRequestError } from './api.ts'
import type {
  BreakAnswer,
  BreakRequest,
  ControlState,
  RunAnswer,
  RunRequest,
} from '@jwt-factory/console/api'
import { renderAnswer } from './answer-view.ts'
import { breakControls } from './break-it.ts'
import { checklistView } from './checklist.ts'
import { h, replaceContent } from './dom.ts'
import { listenToEvents } from './events.ts'
import { renderFaults } from './faults-view.ts'
import { hopCurl } from './hop-curl.ts'
import { defaultHop, keysLitBy, NOTHING_LIT, tokenAt, type LitKeys } from './hop-selection.ts'
import { buildHops, flattenHops } from './hop-tree.ts'
import { renderKeysPanel } from './keys-panel.ts'
import { oldKey, renderCountdowns } from './keys-over-time.ts'
import { keysUsed, type KeyUsed } from './keys-used.ts'
import { LogStore } from './log-store.ts'
import { renderLogs } from './logs-view.ts'
import { RunStore } from './run-store.ts'
import { scenarioCards } from './scenario-buttons.ts'
import { drawSequence } from './sequence-diagram.ts'
import { layoutSequence } from './sequence-layout.ts'
import { ServerClock } from './server-clock.ts'
import { refreshClaimTimes, renderTokenPanel } from './token-view.ts'

/** The page's one place with side effects: the stores, the timers, the event stream, the DOM. */

const STATE_POLL_MS = 1000
const COUNTDOWN_TICK_MS = 500

const byId = (id: string) => {
  const found = document.getElementById(id)
  if (!found) throw new Error(`index.html has no #${id}`)
  return found
}
const ui = {
  scenarios: byId('scenarios'),
  diagram: byId('diagram'),
  token: byId('token'),
  checklists: byId('checklists'),
  summary: byId('answer-summary'),
  answer: byId('answer'),
  logs: byId('logs'),
  keys: byId('keys'),
  countdowns: byId('countdowns'),
  rotate: byId('rotate') as HTMLButtonElement,
  retire: byId('retire') as HTMLButtonElement,
  attacks: byId('attacks'),
  faults: byId('faults'),
  status: byId('control-status'),
  live: byId('live'),
}

const runs = new RunStore()
const logs = new LogStore()
const clock = new ServerClock()
let state: ControlState | undefined
let selected: string | undefined
let chosen = false
let flashKid: string | undefined

function renderRun(): void {
  const view = runs.view()
  const roots = buildHops(view?.spans ?? [])
  const hops = flattenHops(roots)
  if (!chosen || !hops.some((hop) => hop.id === selected)) selected = defaultHop(hops)?.id
  const hop = hops.find((h) => h.id === selected)
  const select = (id: string) => {
    selected = id
    chosen = true
    renderRun()
  }
  replaceContent(
    ui.diagram,
    drawSequence(layoutSequence(roots), { ...(selected ? { selected } : {}), onSelect: select }),
    ...(view ? [] : [h('p', { class: 'empty' }, 'Press Scenario 1 to watch a token travel')]),
  )
  const token = hop ? tokenAt(hop, hops) : undefined
  const curl =
    hop &&
    hopCurl(hop, {
      ...(view?.answer ? { runCurl: view.answer.curl } : {}),
      ...(state ? { processes: state.processes, files: state.files } : {}),
      hops,
    })
  renderTokenPanel(ui.token, {
    ...(hop ? { hop } : {}),
    ...(token ? { token } : {}),
    ...(curl ? { curl } : {}),
    now: clock.now(),
    onKid: showKey,
  })
  const verifications = hops.filter((h) => h.kind === 'verify')
  replaceContent(
    ui.checklists,
    ...(verifications.length > 0
      ? verifications.map((v) =>
          checklistView(v, tokenAt(v, hops), {
            selected: v.id === selected,
            onSelect: select,
            onKid: showKey,
          }),
        )
      : [
          h(
            'p',
            { class: 'hint' },
            view
              ? 'No verification in this run yet.'
              : 'Each verification of a run lists its checks here.',
          ),
        ]),
  )
  renderAnswer(ui.answer, ui.summary, view)
  renderLogs(ui.logs, logs.of(view?.rid), view?.rid)
  used = keysUsed(hops)
  renderKeys(hop ? keysLitBy(hop, hops) : NOTHING_LIT)
}

let litKeys: LitKeys = NOTHING_LIT
let used: KeyUsed[] = []
function renderKeys(lit: LitKeys = litKeys): void {
  litKeys = lit
  renderKeysPanel(ui.keys, {
    state,
    lit,
    ...(flashKid ? { flashed: flashKid } : {}),
    used,
    now: clock.now(),
  })
}

function renderState(): void {
  renderKeys()
  renderFaults(ui.faults, state, {
    process: (name, action) => act(api.process(name, action)),
    jwks: (fault) => act(api.jwksFault(fault)),
  })
  const old = oldKey(state)
  ui.retire.disabled = !old
  ui.retire.title = old ? `retires ${old.kid}` : 'servicea has no old key to retire: rotate first'
  ui.rotate.disabled = !state?.factory
}

/** A kid link: its key lights up and comes into view in the keys panel. */
function showKey(kid: string): void {
  flashKid = kid
  renderKeys()
  document.getElementById(`key-${kid}`)?.scrollIntoView({ block: 'nearest', behavior: 'smooth' })
}

function run(request: RunRequest, label: string): void {
  start(label, api.run(request))
}

function breakIt(request: BreakRequest, label: string): void {
  start(label, api.breakToken(request))
}

function start(label: string, answer: Promise<RunAnswer | BreakAnswer>): void {
  const ticket = runs.begin(label)
  chosen = false
  flashKid = undefined
  renderRun()
  answer
    .then((a) => runs.answer(ticket, a))
    .catch((error: unknown) => runs.fail(ticket, messageOf(error)))
    .finally(renderRun)
}

/** A control action: its failure is said in the status line; the state is asked for at once. */
function act(action: Promise<unknown>): void {
  replaceContent(ui.status, '')
  action
    .catch((error: unknown) => replaceContent(ui.status, messageOf(error)))
    .finally(() => void pollState())
}

const messageOf = (error: unknown) =>
  error instanceof ConsoleRequestError
    ? `${error.message} (${error.status})`
    : `the console is not answering (${String(error)})`

let polling: Promise<void> | undefined
function pollState(): Promise<void> {
  polling ??= (async () => {
    const sentAt = Date.now()
    try {
      const answer = await api.state()
      clock.observe(answer.now, sentAt, Date.now())
      state = answer
      renderState()
    } catch {
      // The next poll tries again; the live indicator says when the console is gone.
    } finally {
      polling = undefined
    }
  })()
  return polling
}

replaceContent(ui.scenarios, ...scenarioCards(run))
replaceContent(ui.attacks, breakControls(breakIt))
ui.rotate.addEventListener('click', () => act(api.rotateKey()))
ui.retire.addEventListener('click', () => {
  const old = oldKey(state)
  if (old) act(api.retireKey(old.kid))
})

listenToEvents({
  span: (span) => runs.addSpan(span) && renderRun(),
  log: (line) =>
    logs.add(line) &&
    line.rid === runs.view()?.rid &&
    renderLogs(ui.logs, logs.of(line.rid), line.rid),
  process: (change) => {
    const process = state?.processes.find((p) => p.name === change.name)
    if (process) process.state = change.state
    renderState()
  },
  connected: (open) => {
    ui.live.dataset.open = String(open)
    ui.live.textContent = open ? 'live' : 'reconnecting…'
  },
})

renderRun()
renderState()
void pollState()
setInterval(() => void pollState(), STATE_POLL_MS)
function tick(): void {
  renderCountdowns(ui.countdowns, state, clock.now())
  refreshClaimTimes(ui.token, clock.now())
}
setInterval(tick, COUNTDOWN_TICK_MS)
tick()
