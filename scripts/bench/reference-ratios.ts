import type { HttpRowId } from './http-rows.ts'

/** The factory's rows and the reference rows each is divided by. */
const BARE_ROW: Partial<Record<HttpRowId, HttpRowId>> = {
  issue: 'bare-sign',
  verify: 'bare-verify',
}
const PEER_ROW: Partial<Record<HttpRowId, HttpRowId>> = { issue: 'peer-token' }

/**
 * The rows in the order they are measured: each reference row right after the factory's row it
 * divides, so that on a shared machine the two are measured as close together as they can be.
 */
export function besideTheirRows<Row extends { id: HttpRowId }>(
  rows: readonly Row[],
  references: readonly Row[],
): Row[] {
  const partners = (row: Row) =>
    references.filter((ref) => BARE_ROW[row.id] === ref.id || PEER_ROW[row.id] === ref.id)
  const ordered = rows.flatMap((row) => [row, ...partners(row)])
  return [...ordered, ...references.filter((ref) => !ordered.includes(ref))]
}
/** The process that answers each of those rows, whose CPU time per request is compared. */
const SERVER_OF: Partial<Record<HttpRowId, string>> = {
  issue: 'jwt-factory',
  verify: 'jwt-factory',
  'bare-sign': 'bare',
  'bare-verify': 'bare',
  'peer-token': 'peer',
}

/** Each ratio reads the same way: 1 is as good as the reference, above 1 better. */
export interface ReferenceRatios {
  /** req/s over the bare server's row: 1 would be all one event loop can do with that crypto. */
  ratioToBare?: number
  /** req/s over the peer's (oauth2-mock-server's) row: how many times its issuing rate. */
  ratioToPeer?: number
  /**
   * The bare server's CPU time per request over the factory's: the same comparison by what each
   * request cost, which moves less than req/s when other processes take the CPU during a row.
   */
  cpuRatioToBare?: number
  /** The peer's CPU time per request over the factory's. */
  cpuRatioToPeer?: number
}

interface RowFigures {
  id: HttpRowId
  requestsPerSecond: number
  /** By process, as http-rows.ts measures it. */
  cpuMicrosPerRequest: Record<string, number>
}

/** A row's ratios to the reference rows measured in the same run; none for a row without one. */
export function referenceRatios(row: RowFigures, rows: readonly RowFigures[]): ReferenceRatios {
  const cpuOf = (r: RowFigures) => r.cpuMicrosPerRequest[SERVER_OF[r.id] ?? '']
  const against = (id: HttpRowId | undefined) => {
    const reference = rows.find((r) => r.id === id)
    const rate = reference?.requestsPerSecond
    const [theirs, ours] = [reference && cpuOf(reference), cpuOf(row)]
    return {
      rate: rate ? row.requestsPerSecond / rate : undefined,
      cpu: theirs && ours && Number.isFinite(theirs / ours) ? theirs / ours : undefined,
    }
  }
  const bare = against(BARE_ROW[row.id])
  const peer = against(PEER_ROW[row.id])
  return Object.fromEntries(
    Object.entries({
      ratioToBare: bare.rate,
      ratioToPeer: peer.rate,
      cpuRatioToBare: bare.cpu,
      cpuRatioToPeer: peer.cpu,
    }).filter(([, ratio]) => ratio !== undefined),
  )
}
