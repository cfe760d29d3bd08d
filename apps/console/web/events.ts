import type { Span } from '@jwt-factory/trace'
import type { LogEvent, ProcessEvent } from '@jwt-factory/console/api'
import { readSpan } from './span-guard.ts'

export interface EventHandlers {
  span: (span: Span) => void
  log: (line: LogEvent) => void
  process: (change: ProcessEvent) => void
  /** The stream is open, or lost (EventSource reconnects by itself). */
  connected: (open: boolean) => void
}

/** Listens to the console's `GET /events` stream; returns the function that stops listening. */
export function listenToEvents(handlers: EventHandlers, url = '/events'): () => void {
  const source = new EventSource(url)
  const on = <T>(name: string, handle: (data: T) => void) =>
    source.addEventListener(name, (event) => {
      const data = parse<T>((event as MessageEvent<string>).data)
      if (data !== undefined) handle(data)
    })
  on<unknown>('span', (data) => {
    const span = readSpan(data)
    if (span) handlers.span(span)
  })
  on<LogEvent>('log', handlers.log)
  on<ProcessEvent>('process', handlers.process)
  source.addEventListener('open', () => handlers.connected(true))
  source.addEventListener('error', () => handlers.connected(false))
  return () => source.close()
}

function parse<T>(data: string): T | undefined {
  try {
    return JSON.parse(data) as T
  } catch {
    return undefined
  }
}
