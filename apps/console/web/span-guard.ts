import type { Span, TokenView } from '@jwt-factory/trace'

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * A span event as the page can draw it, or undefined. The stream carries what the processes
 * logged, so a span is checked at the door: the fields the diagram needs must be there, and a
 * token that is not a decoded token (a logger's `[redacted]` in its place) is left out rather
 * than shown as one; the run's answer brings the tokens.
 */
export function readSpan(data: unknown): Span | undefined {
  if (!isObject(data)) return undefined
  const { id, rid, kind, from, to, call, status } = data
  const strings = [id, rid, kind, from, to, call].every((field) => typeof field === 'string')
  if (!strings || typeof status !== 'number') return undefined
  const span = { ...data } as unknown as Span
  if (!isTokenView(data.token)) delete span.token
  return span
}

const isTokenView = (token: unknown): token is TokenView =>
  isObject(token) && isObject(token.header) && isObject(token.claims)
