import type {
  BreakAnswer,
  BreakRequest,
  ControlState,
  ProcessEvent,
  RunAnswer,
  RunRequest,
} from '@jwt-factory/console/api'
import type { JwksFaultMode } from '@jwt-factory/factory'
import type { HttpErrorBody } from '@jwt-factory/server'

/** The console server refused or failed a request of the page (not servicea's answer). */
export class ConsoleRequestError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
    this.name = 'ConsoleRequestError'
  }
}

export type ProcessAction = 'stop' | 'start' | 'freeze' | 'thaw'

/** The page's calls to the console server's /control/* endpoints (same origin). */
export const api = {
  run: (request: RunRequest) => post<RunAnswer>('/control/run', request),
  breakToken: (request: BreakRequest) => post<BreakAnswer>('/control/break', request),
  state: () => send<ControlState>('/control/state', { method: 'GET' }),
  rotateKey: () => post<unknown>('/control/keys/servicea/rotate', {}),
  retireKey: (kid: string) => post<unknown>('/control/keys/servicea/retire', { kid }),
  process: (name: string, action: ProcessAction) =>
    post<ProcessEvent>(`/control/processes/${encodeURIComponent(name)}/${action}`, {}),
  jwksFault: (fault: JwksFaultMode) => post<unknown>('/control/jwks', { fault }),
}

// The server refuses a POST that is not application/json: a cross-site form cannot send one.
const post = <T>(path: string, body: unknown) =>
  send<T>(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

async function send<T>(path: string, init: RequestInit): Promise<T> {
  const response = await fetch(path, {
    ...init,
    headers: { accept: 'application/json', ...init.headers },
  })
  const body: unknown = await response.json().catch(() => undefined)
  if (response.ok) return body as T
  const error = (body as Partial<HttpErrorBody> | undefined)?.error
  throw new ConsoleRequestError(
    response.status,
    error?.code ?? 'ERR_CONSOLE',
    error?.message ?? `the console answered ${response.status}`,
  )
}
