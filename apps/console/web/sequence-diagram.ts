import { svg } from './dom.ts'
import {
  answerLabel,
  callLabel,
  hopName,
  isFailed,
  isUnanswered,
  noteLines,
  tokenComesBack,
} from './hop-labels.ts'
import type { Hop } from './hop-tree.ts'
import {
  fitLabel,
  GEOMETRY,
  type Arrow,
  type Note,
  type SequenceLayout,
} from './sequence-layout.ts'

export interface DiagramOptions {
  selected?: string
  onSelect: (id: string) => void
}

/** Arrowheads, one per look: SVG markers cannot take their colour from the line in every browser. */
const MARKERS = ['ok', 'failed', 'pending', 'selected'] as const

/**
 * Draws a laid-out run as an SVG sequence diagram. Every hop is one focusable group
 * (`hop-<id>`): click, Enter or Space selects it; the arrow keys move between hops.
 */
export function drawSequence(layout: SequenceLayout, options: DiagramOptions): SVGSVGElement {
  const hops = uniqueHops(layout)
  const root = svg('svg', {
    'data-testid': 'sequence',
    viewBox: `0 0 ${layout.width} ${layout.height}`,
    class: 'sequence',
    role: 'group',
    'aria-label': 'Sequence diagram: who called whom, in order',
  })
  root.append(
    svg('defs', {}, ...MARKERS.map(marker)),
    ...layout.lanes.map((lane) =>
      svg(
        'g',
        { class: 'lane', 'data-participant': lane.name },
        svg('line', { x1: lane.x, x2: lane.x, y1: 44, y2: layout.height - 6, class: 'lane-line' }),
        svg('rect', { x: lane.x - 66, y: 8, width: 132, height: 34, rx: 8, class: 'lane-head' }),
        svg('text', { x: lane.x, y: 30, class: 'lane-name' }, lane.name),
      ),
    ),
    ...layout.bands
      .filter((band) => band.hop.id === options.selected)
      .map((band) =>
        svg('rect', {
          x: 4,
          y: band.y1 + 2,
          width: layout.width - 8,
          height: band.y2 - band.y1 - 4,
          rx: 6,
          class: 'band-selected',
        }),
      ),
    ...layout.frames.map((frame) =>
      svg(
        'g',
        { class: 'frame' },
        svg('rect', {
          x: 6,
          y: frame.y1 + 1,
          width: layout.width - 12,
          height: frame.y2 - frame.y1 - 2,
          rx: 8,
          class: 'frame-box',
        }),
        svg('text', { x: 14, y: frame.y1 + 14, class: 'frame-label' }, 'in parallel'),
      ),
    ),
    ...layout.bars.map((bar) =>
      svg('rect', {
        x: bar.x - GEOMETRY.bar / 2,
        y: bar.y1,
        width: GEOMETRY.bar,
        height: Math.max(4, bar.y2 - bar.y1),
        rx: 2,
        class: bar.open ? 'bar bar-open' : 'bar',
        'data-participant': bar.hop.to,
      }),
    ),
    ...hops.map((hop) => drawHop(hop, layout, options)),
  )
  root.addEventListener('keydown', (event) => moveFocus(event, root))
  return root
}

function drawHop(hop: Hop, layout: SequenceLayout, options: DiagramOptions): SVGGElement {
  const selected = hop.id === options.selected
  const failed = !hop.pending && isFailed(hop)
  const look = selected ? 'selected' : hop.pending ? 'pending' : failed ? 'failed' : 'ok'
  const select = () => options.onSelect(hop.id)
  const group = svg('g', {
    'data-testid': `hop-${hop.id}`,
    // A selected hop keeps its labels red when it failed: selecting a 504 must not hide it.
    class: `hop hop-${look}${selected && failed ? ' hop-failed' : ''}`,
    tabindex: 0,
    role: 'button',
    'aria-pressed': selected ? 'true' : 'false',
    'aria-label': hopName(hop),
    ...(isUnanswered(hop) ? { 'data-lost': 'true' } : {}),
    onclick: select,
    onkeydown: (event) => {
      const key = (event as KeyboardEvent).key
      if (key !== 'Enter' && key !== ' ') return
      event.preventDefault()
      select()
    },
  })
  group.append(svg('title', {}, hopName(hop)))
  for (const band of layout.bands.filter((b) => b.hop === hop))
    group.append(
      svg('rect', {
        x: 0,
        y: band.y1,
        width: layout.width,
        height: band.y2 - band.y1,
        class: 'hit',
      }),
    )
  for (const arrow of layout.arrows.filter((a) => a.hop === hop))
    group.append(...drawArrow(arrow, look))
  for (const note of layout.notes.filter((n) => n.hop === hop)) group.append(...drawNote(note))
  return group
}

function drawArrow(arrow: Arrow, look: string): SVGElement[] {
  const { hop } = arrow
  const middle = (arrow.x1 + arrow.x2) / 2
  const room = Math.abs(arrow.x2 - arrow.x1) + 40
  if (arrow.kind === 'lost') {
    // Nothing came back: a cross where the call was lost, and what the caller made of it.
    return [
      svg('text', { x: arrow.x1, y: arrow.y - 26, class: 'lost-mark' }, '✗'),
      svg(
        'text',
        { x: middle, y: arrow.y - 6, class: 'label label-answer label-lost' },
        fitLabel(answerLabel(hop), room),
      ),
    ]
  }
  const line = svg('line', {
    x1: arrow.x1,
    x2: arrow.x2,
    y1: arrow.y,
    y2: arrow.y,
    class: arrow.kind === 'call' ? 'arrow' : 'arrow arrow-return',
    'marker-end': `url(#head-${look})`,
  })
  const direction = Math.sign(arrow.x2 - arrow.x1) || 1
  // A hop's token gets jwt.io's three colours at the tail of the arrow that carried it.
  const chip = hop.token && tokenComesBack(hop) === (arrow.kind === 'return')
  const parts: SVGElement[] = [line]
  if (chip) parts.push(tokenChip(arrow.x1 + direction * 18, arrow.y))
  if (arrow.kind === 'return') {
    parts.push(
      svg('text', { x: middle, y: arrow.y - 6, class: 'label label-answer' }, answerLabel(hop)),
    )
    return parts
  }
  // The step's number sits behind the caller, where the row is free: the label keeps the arrow.
  const id = svg(
    'text',
    {
      x: arrow.x1 - direction * (GEOMETRY.bar + 2),
      y: arrow.y + 4,
      class: 'hop-id',
      'text-anchor': direction > 0 ? 'end' : 'start',
    },
    hop.id,
  )
  const label = svg(
    'text',
    { x: middle, y: arrow.y - 8, class: 'label' },
    fitLabel(callLabel(hop), room),
  )
  parts.push(id, label)
  return parts
}

function drawNote(note: Note): SVGElement[] {
  const { hop } = note
  const left = note.x - note.width / 2
  const failed = isFailed(hop)
  const { title, text } = noteLines(hop)
  return [
    svg('rect', {
      x: left,
      y: note.y,
      width: note.width,
      height: note.height,
      rx: 8,
      class: `note note-${hop.kind}${failed ? ' note-failed' : ''}${hop.pending ? ' note-pending' : ''}`,
    }),
    svg(
      'text',
      { x: note.x, y: note.y + 16, class: 'note-title' },
      svg('tspan', { class: 'hop-id' }, `${hop.id}  `),
      title,
    ),
    svg('text', { x: note.x, y: note.y + 31, class: 'note-text' }, fitLabel(text, note.width - 10)),
  ]
}

function tokenChip(x: number, y: number): SVGGElement {
  const colours = ['jwt-header', 'jwt-payload', 'jwt-signature']
  return svg(
    'g',
    { class: 'token-chip', 'aria-hidden': 'true' },
    ...colours.map((part, i) =>
      svg('rect', { x: x - 9 + i * 6, y: y - 3.5, width: 6, height: 7, class: `chip-${part}` }),
    ),
  )
}

function marker(look: (typeof MARKERS)[number]): SVGMarkerElement {
  return svg(
    'marker',
    {
      id: `head-${look}`,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      // In the diagram's units: the same head on a thick (selected) line as on a thin one.
      markerUnits: 'userSpaceOnUse',
      markerWidth: 10,
      markerHeight: 10,
      orient: 'auto-start-reverse',
    },
    svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: `head head-${look}` }),
  )
}

function uniqueHops(layout: SequenceLayout): Hop[] {
  const seen = new Set<Hop>()
  for (const band of layout.bands) seen.add(band.hop)
  return [...seen]
}

/** ArrowDown and ArrowUp walk the hops in reading order. */
function moveFocus(event: KeyboardEvent, root: SVGSVGElement): void {
  if (event.key !== 'ArrowDown' && event.key !== 'ArrowUp') return
  const hops = [...root.querySelectorAll<SVGGElement>('g.hop')]
  const at = hops.indexOf(document.activeElement as SVGGElement)
  if (at === -1) return
  event.preventDefault()
  hops[Math.min(hops.length - 1, Math.max(0, at + (event.key === 'ArrowDown' ? 1 : -1)))]?.focus()
}
