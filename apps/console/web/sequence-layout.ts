import { isUnanswered, noteLines } from './hop-labels.ts'
import type { Hop } from './hop-tree.ts'

/** The lanes every run has, left to right in the order a request travels; others are added after. */
export const PARTICIPANTS = ['user', 'servicea', 'jwt-factory', 'serviceb', 'servicec'] as const

/** Sizes in SVG user units; the SVG scales to its column, so these are proportions. */
export const GEOMETRY = {
  laneGap: 176,
  margin: 84,
  header: 64,
  callRow: 42,
  returnRow: 30,
  selfRow: 52,
  pendingTail: 18,
  bottom: 20,
  /** An empty diagram still shows its lanes as a stage. */
  minHeight: 200,
  /** An activation bar's width, and how far a nested one on the same lane is shifted. */
  bar: 10,
  nest: 5,
} as const

export interface Lane {
  name: string
  x: number
}

/**
 * A call's arrow (caller → callee, label above it), its answer coming back, or for a call its
 * callee never answered (isUnanswered), what the caller made of it, with no line from the callee.
 */
export interface Arrow {
  hop: Hop
  kind: 'call' | 'return' | 'lost'
  y: number
  x1: number
  x2: number
}

/** A step a participant takes by itself (verify, sign, reuse): a note over its lane. */
export interface Note {
  hop: Hop
  x: number
  y: number
  width: number
  height: number
}

/** The time a participant is busy answering a call; `open` while the call has not ended. */
export interface Bar {
  hop: Hop
  x: number
  y1: number
  y2: number
  open: boolean
}

/** The rows a hop occupies: where a click or a highlight applies. */
export interface Band {
  hop: Hop
  y1: number
  y2: number
}

export interface SequenceLayout {
  width: number
  height: number
  lanes: Lane[]
  arrows: Arrow[]
  notes: Note[]
  bars: Bar[]
  bands: Band[]
  frames: Frame[]
}

/** Sibling hops that ran at the same time (scenarios 2 and 4): framed as parallel. */
export interface Frame {
  hops: Hop[]
  y1: number
  y2: number
}

/**
 * Lays a run out as a sequence diagram: one row per call (its answer a row of its own after
 * the hops it made), one per step a participant takes alone, children inside their parent's
 * activation. Pure: the SVG is drawn from this by sequence-diagram.ts.
 */
export function layoutSequence(roots: readonly Hop[]): SequenceLayout {
  const g = GEOMETRY
  const lanes = laneOrder(roots).map((name, i) => ({ name, x: g.margin + i * g.laneGap }))
  const laneX = new Map(lanes.map((lane) => [lane.name, lane.x]))
  const x = (name: string) => laneX.get(name) ?? 0
  const open = new Map<string, number>()
  const layout: SequenceLayout = {
    width: 2 * g.margin + (lanes.length - 1) * g.laneGap,
    height: 0,
    lanes,
    arrows: [],
    notes: [],
    bars: [],
    bands: [],
    frames: [],
  }
  let y = g.header

  // The centre of the innermost bar open on a lane; the lane itself when none is.
  const barCentre = (lane: string, level = open.get(lane) ?? 0) =>
    x(lane) + Math.max(0, level - 1) * g.nest
  const edge = (lane: string, toward: number) =>
    (open.get(lane) ?? 0) === 0 ? x(lane) : barCentre(lane) + (toward * g.bar) / 2

  const visit = (hop: Hop) => {
    if (hop.from === hop.to) {
      // A note may reach over the neighbouring lanes (the row is this hop's alone), not the edges.
      const { title, text } = noteLines(hop)
      const chars = Math.max(title.length + hop.id.length + 2, text.length)
      const width = Math.min(2 * g.laneGap - 24, Math.max(g.laneGap - 14, chars * CHAR + 24))
      const centre = Math.min(
        layout.width - 4 - width / 2,
        Math.max(4 + width / 2, barCentre(hop.to)),
      )
      layout.notes.push({ hop, x: centre, y: y + 6, width, height: g.selfRow - 12 })
      layout.bands.push({ hop, y1: y, y2: y + g.selfRow })
      y += g.selfRow
      visitChildren(hop)
      return
    }
    const direction = Math.sign(x(hop.to) - x(hop.from)) || 1
    const callY = y + 28
    const x1 = edge(hop.from, direction)
    open.set(hop.to, (open.get(hop.to) ?? 0) + 1)
    const x2 = barCentre(hop.to) - (direction * g.bar) / 2
    layout.arrows.push({ hop, kind: 'call', y: callY, x1, x2 })
    layout.bands.push({ hop, y1: y, y2: y + g.callRow })
    const bar: Bar = { hop, x: barCentre(hop.to), y1: callY, y2: callY, open: hop.pending }
    const lost = isUnanswered(hop)
    // A callee that never answered was never busy with the call: no bar on its lane.
    if (!lost) layout.bars.push(bar)
    y += g.callRow
    visitChildren(hop)
    if (lost) {
      const returnY = y + 18
      layout.arrows.push({ hop, kind: 'lost', y: returnY, x1: x2, x2: x1 })
      layout.bands.push({ hop, y1: y, y2: y + g.returnRow })
      y += g.returnRow
    } else if (hop.pending) {
      y += g.pendingTail
      bar.y2 = y
    } else {
      const returnY = y + 18
      layout.arrows.push({ hop, kind: 'return', y: returnY, x1: x2, x2: x1 })
      layout.bands.push({ hop, y1: y, y2: y + g.returnRow })
      bar.y2 = returnY
      y += g.returnRow
    }
    open.set(hop.to, (open.get(hop.to) ?? 1) - 1)
  }
  // Each child's rows, so that siblings which overlapped in time can be framed together.
  const visitChildren = (hop: Hop) => {
    const rows = hop.children.map((child) => {
      const y1 = y
      visit(child)
      return { hop: child, y1, y2: y }
    })
    for (const group of parallelGroups(hop.children)) {
      const first = rows[group[0]!]!
      const last = rows[group.at(-1)!]!
      layout.frames.push({ hops: group.map((i) => rows[i]!.hop), y1: first.y1, y2: last.y2 })
    }
  }
  roots.forEach(visit)
  layout.height = Math.max(g.minHeight, y + g.bottom)
  return layout
}

/** Runs of consecutive siblings each starting before the one before it ended, by index. */
function parallelGroups(siblings: readonly Hop[]): number[][] {
  const groups: number[][] = []
  let run: number[] = []
  siblings.forEach((hop, i) => {
    const before = siblings[i - 1]
    const overlaps =
      before?.startedAt !== undefined &&
      before.ms !== undefined &&
      hop.startedAt !== undefined &&
      hop.startedAt < before.startedAt + before.ms
    if (!overlaps) {
      if (run.length > 1) groups.push(run)
      run = []
    }
    run.push(i)
  })
  if (run.length > 1) groups.push(run)
  return groups
}

/** The known participants first, in their order; any other (later issues' OAuth, mesh) after. */
function laneOrder(roots: readonly Hop[]): string[] {
  const names: string[] = [...PARTICIPANTS]
  const add = (hop: Hop) => {
    for (const name of [hop.from, hop.to]) if (!names.includes(name)) names.push(name)
    hop.children.forEach(add)
  }
  roots.forEach(add)
  return names
}

/** About how wide a character of the diagram's labels is, in its units. */
const CHAR = 6.6

/** A label cut to fit `room` units. */
export function fitLabel(text: string, room: number): string {
  const max = Math.max(8, Math.floor(room / CHAR))
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`
}
