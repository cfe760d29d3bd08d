/**
 * The small timeline under a checklist: iat, exp, the verifier's now and its clock tolerance.
 * A token lives an hour and the tolerance is seconds, so a true scale would hide the band: the
 * axis is drawn in pieces instead, each at a fixed share of the width (the tolerance widened),
 * and a time beyond the window is drawn closer to the edge the farther out it is.
 */
export interface TimeWindowInput {
  /** Seconds since the epoch, as the claims carry them. */
  iat?: number
  nbf?: number
  exp?: number
  /** The verifier's clock, in milliseconds. */
  now: number
  toleranceSeconds: number
}

export interface TimeMark {
  name: 'iat' | 'nbf' | 'exp' | 'now'
  at: number
  /** Percent of the width. */
  position: number
}

export interface TimeWindow {
  marks: TimeMark[]
  /** From the start of the token's life to exp, in percent. */
  valid: [number, number]
  /** The leeway before the start and after exp. */
  before: [number, number]
  after: [number, number]
  /** Whether the verifier's now falls inside the window, leeway included. */
  accepted: boolean
}

/** Where each piece of the axis starts, in percent: outside, leeway, the token's life, leeway, outside. */
const STOPS = [0, 12, 22, 78, 88, 100] as const

/** The window of a token with an exp and a start (nbf or iat); undefined without them. */
export function timeWindow(input: TimeWindowInput): TimeWindow | undefined {
  const startSeconds = input.nbf ?? input.iat
  if (startSeconds === undefined || input.exp === undefined) return undefined
  const leeway = input.toleranceSeconds * 1000
  const start = startSeconds * 1000
  const end = input.exp * 1000
  const edges = [start - leeway, start, end, end + leeway]
  const position = (at: number) => place(at, edges, leeway)
  const marks: TimeMark[] = []
  for (const name of ['iat', 'nbf', 'exp'] as const) {
    const seconds = input[name]
    if (seconds !== undefined)
      marks.push({ name, at: seconds * 1000, position: position(seconds * 1000) })
  }
  marks.push({ name: 'now', at: input.now, position: position(input.now) })
  return {
    marks,
    valid: [STOPS[2], STOPS[3]],
    before: [STOPS[1], STOPS[2]],
    after: [STOPS[3], STOPS[4]],
    accepted: input.now >= start - leeway && input.now <= end + leeway,
  }
}

function place(at: number, edges: number[], leeway: number): number {
  const [first = 0, , , last = 0] = edges
  // Beyond the window: d / (d + scale) runs from 0 towards 1, never reaching the edge.
  const scale = Math.max(leeway, 1000) * 2
  if (at < first) return STOPS[1] - STOPS[1] * ((first - at) / (first - at + scale))
  if (at > last) return STOPS[4] + (100 - STOPS[4]) * ((at - last) / (at - last + scale))
  for (let i = 0; i < 3; i++) {
    const from = edges[i] ?? 0
    const to = edges[i + 1] ?? 0
    if (at <= to) {
      const share = to > from ? (at - from) / (to - from) : 1
      return STOPS[i + 1]! + (STOPS[i + 2]! - STOPS[i + 1]!) * share
    }
  }
  return STOPS[4]
}
