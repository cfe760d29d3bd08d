import type { HttpRowId } from './http-rows.ts'

/** The factory's rows and the reference rows each is divided by. */
const BARE_ROW: Partial<Record<HttpRowId, HttpRowId>> = {
  issue: 'bare-sign',
  verify: 'bare-verify',
}
const PEER_ROW: Partial<Record<HttpRowId, HttpRowId>> = { issue: 'peer-token' }
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
