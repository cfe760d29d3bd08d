import type { Attack, AttackContext } from './attack-context.ts'
import { claimAttacks } from './claim-attacks.ts'
import { algorithmAttacks, headerAttacks } from './key-attacks.ts'
import { malformedAttacks, signatureAttacks } from './structure-attacks.ts'

export { acceptedTwins, type AcceptedTwin } from './structure-attacks.ts'

export {
  attackTestName,
  generateAttackerKeys,
  validToken,
  type Attack,
  type AttackContext,
  type AttackerKeys,
} from './attack-context.ts'

/**
 * One catalogue of attacks on token verification (RFC 8725, the OWASP JWT cheat sheet), run
 * unchanged at every place that verifies: verifyToken itself, the factory's /verify, the
 * scenario servers, requireAuth. Each place builds the context from the keys and claims it
 * trusts and checks that every token is refused with `expect.name` (and `expect.message` where
 * the message is the same at every place) and that nothing behind the check ran. Every token but
 * the oversized one fits an RFC 6750 bearer header. Tokens are built and signed with node:crypto
 * (forge.ts), never with the code under test.
 */
export function attackCatalogue(ctx: AttackContext): Attack[] {
  return [
    ...malformedAttacks(ctx),
    ...signatureAttacks(ctx),
    ...algorithmAttacks(ctx),
    ...headerAttacks(ctx),
    ...claimAttacks(ctx),
  ]
}
