import type { Span, SpanKind, TlsPeer, TokenView } from '@jwt-factory/trace'
import type { VerificationReport } from '@jwt-factory/jwt'

/**
 * One step of a run as the diagram draws it: a span that has ended, or one still under way.
 * Spans are logged when they end, so a hop's children arrive before it does; until it ends it is
 * drawn pending, between the participants its children and its parent imply.
 */
export interface Hop {
  id: string
  kind: SpanKind
  from: string
  to: string
  /** `GET /scenario1-server?verify=jwks`; `under way…` while pending. */
  call: string
  /** Absent while pending. */
  status?: number
  ms?: number
  startedAt?: number
  token?: TokenView
  tls?: TlsPeer
  verification?: VerificationReport
  result?: string
  /** False when the callee never answered (Span.answered). */
  answered?: false
  pending: boolean
  depth: number
  children: Hop[]
}

/** The request at the top of a run, when no span says otherwise: the learner's, to servicea. */
const OUTSIDE = 'user'
const ENTRY = 'servicea'

/** The run's spans as trees in reading order: each parent before its children. */
export function buildHops(spans: readonly Span[]): Hop[] {
  const byId = new Map(spans.map((span) => [span.id, span]))
  const ids = new Set(byId.keys())
  // Every missing ancestor of a span becomes a pending hop: `1.2.1` implies `1.2` and `1`.
  for (const span of spans) {
    for (let id = parentId(span); id !== undefined; id = parentOf(id)) ids.add(id)
  }
  const childIds = new Map<string | undefined, string[]>()
  for (const id of ids) {
    const known = byId.get(id)
    const parent = known ? parentId(known) : parentOf(id)
    childIds.set(parent, [...(childIds.get(parent) ?? []), id])
  }
  const build = (id: string, depth: number, caller: string): Hop => {
    const span = byId.get(id)
    const children = (childIds.get(id) ?? []).sort(compareIds)
    // A pending hop's callee is whoever its first child comes from.
    const firstChild = children.map((child) => byId.get(child)).find((child) => child)
    const hop: Hop = span
      ? fromSpan(span, depth)
      : {
          id,
          kind: 'call',
          from: caller,
          to: firstChild?.from ?? (depth === 0 ? ENTRY : caller),
          call: 'under way…',
          pending: true,
          depth,
          children: [],
        }
    hop.children = children.map((child) => build(child, depth + 1, hop.to))
    return hop
  }
  return (childIds.get(undefined) ?? []).sort(compareIds).map((id) => build(id, 0, OUTSIDE))
}

/** The hops in reading order, depth first. */
export function flattenHops(roots: readonly Hop[]): Hop[] {
  return roots.flatMap((hop) => [hop, ...flattenHops(hop.children)])
}

function fromSpan(span: Span, depth: number): Hop {
  const { parent: _parent, rid: _rid, status, ms, ...fields } = span
  // Status 0: the call's start, logged before its callee answered; it is still under way.
  if (status === 0) return { ...fields, pending: true, depth, children: [] }
  return { ...fields, status, ms, pending: false, depth, children: [] }
}

const parentId = (span: Span) => span.parent ?? parentOf(span.id)

/** Hierarchical ids: `1.2.1`'s parent is `1.2`; `1` has none. */
function parentOf(id: string): string | undefined {
  const dot = id.lastIndexOf('.')
  return dot === -1 ? undefined : id.slice(0, dot)
}

/**
 * Siblings in id order (`1.10` after `1.9`): one process numbers a span's children as it starts
 * them, so id order is start order, also for hops that run in parallel.
 */
export function compareIds(a: string, b: string): number {
  const left = a.split('.').map(Number)
  const right = b.split('.').map(Number)
  for (let i = 0; i < Math.max(left.length, right.length); i++) {
    const delta = (left[i] ?? -1) - (right[i] ?? -1)
    if (delta !== 0) return delta
  }
  return 0
}
