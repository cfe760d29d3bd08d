import type { Hop } from './hop-tree.ts'

/** A key a verification of the run found, and who verified with it. */
export interface KeyUsed {
  verifier: string
  /** The key set it came from, as the verifier names it: "servicea's scenario-3 public key". */
  keys: string
  kid: string
  alg: string
}

/**
 * The keys the run's verifications used. The state lists only the key sets a verifier fetches;
 * one read from a file (servicea's scenario-3 public key at serviceb) shows here instead, so
 * that scenario 3 too shows the public half where the token is checked.
 */
export function keysUsed(hops: readonly Hop[]): KeyUsed[] {
  const used = new Map<string, KeyUsed>()
  for (const hop of hops) {
    const report = hop.verification
    const kid = report?.key?.kid
    if (hop.kind !== 'verify' || !report?.key || kid === undefined) continue
    used.set(`${hop.to} ${kid}`, { verifier: hop.to, keys: report.keys, kid, alg: report.key.alg })
  }
  return [...used.values()]
}
