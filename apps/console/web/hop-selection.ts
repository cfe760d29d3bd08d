import type { TokenView } from '@jwt-factory/trace'
import { isFailed } from './hop-labels.ts'
import type { Hop } from './hop-tree.ts'

/**
 * Which hop the panels show when the learner has not picked one: the call that carried the
 * token to its first verifier (the moment the lesson is about), else the call with a token that
 * failed (a verifier down: 502), else the first hop with a token.
 */
export function defaultHop(hops: readonly Hop[]): Hop | undefined {
  const verifies = (hop: Hop): boolean =>
    hop.children.some((child) => child.kind === 'verify' || verifies(child))
  const carrier = hops.find((hop) => hop.token && hop.from !== hop.to && verifies(hop))
  const refused = hops.find((hop) => hop.token && hop.from !== hop.to && isFailed(hop))
  return carrier ?? refused ?? hops.find((hop) => hop.token) ?? hops[0]
}

/**
 * The token at a hop: its own, else the one its callee verified (the user's token on scenario
 * 5's first call, which its span does not carry), else its call's (for a verification, the
 * token it checked). A verification's span shows the token decoded only; the same token (by its
 * jti) on a call of the answer has the compact form, signature and all, so that one is shown.
 */
export function tokenAt(hop: Hop, hops: readonly Hop[]): TokenView | undefined {
  const verified = hop.children.find((child) => child.kind === 'verify' && child.to === hop.to)
  const own =
    hop.token ?? verified?.token ?? hops.find((parent) => parent.children.includes(hop))?.token
  if (!own || own.compact) return own
  const jti = own.claims.jti
  const same =
    jti === undefined ? undefined : hops.find((h) => h.token?.compact && h.token.claims.jti === jti)
  return same?.token ?? own
}

/** The keys a hop used, and where: what the keys panel lights. */
export interface LitKeys {
  /** The kids of the tokens the hop and the hops inside it carried or signed. */
  signed: ReadonlySet<string>
  /** Per verifier, the kids its checks under the hop found: the copies that did the checking. */
  checkedBy: ReadonlyMap<string, ReadonlySet<string>>
}

/**
 * The keys a hop used: its token's, and the key each verification under it found, with who
 * found it. A verifier's cached copy of a key it did not check with here stays dark: in
 * scenario 1 the factory checks serviceb's token, whatever serviceb holds from another run.
 */
export function keysLitBy(hop: Hop, hops: readonly Hop[]): LitKeys {
  const signed = new Set<string>()
  const checkedBy = new Map<string, Set<string>>()
  const visit = (h: Hop) => {
    const kid = tokenAt(h, hops)?.header.kid
    if (typeof kid === 'string') signed.add(kid)
    const found = h.verification?.key?.kid
    if (h.kind === 'verify' && typeof found === 'string') {
      checkedBy.set(h.to, (checkedBy.get(h.to) ?? new Set()).add(found))
    }
    h.children.forEach(visit)
  }
  visit(hop)
  return { signed, checkedBy }
}

export const NOTHING_LIT: LitKeys = { signed: new Set(), checkedBy: new Map() }
