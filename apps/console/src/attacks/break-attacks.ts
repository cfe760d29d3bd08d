import { generateSigningKey, isSigningAlgorithm, type SigningKey } from '@jwt-factory/jwt'
import { forgeToken, signForged, splitToken, withPayload } from '@jwt-factory/jwt/forge'
import type { TokenView } from '@jwt-factory/trace'
import type { BreakRequest } from '../api.ts'
import type { AttackName } from './attack-names.ts'

/** The claim edit-claim changes, and its new value. */
export type EditedClaim = NonNullable<BreakRequest['claim']>

/** The claim edit-claim changes when the learner names none: servicea claims to be admin. */
export const DEFAULT_EDIT: EditedClaim = { name: 'sub', value: 'admin' }

/** Where the real tokens come from: the factory, and servicea itself. */
export interface TokenSupply {
  /** A token the factory issued servicea for `aud`. */
  serviceToken(aud: string): Promise<string>
  /** The demo user's token, for `aud`. */
  userToken(aud: string): Promise<string>
  /** The token servicea itself last sent `peer` (from its cache, as it would reuse it). */
  lastSentTo(peer: string): Promise<string>
}

export interface CraftedAttack {
  token: string
  description: string
  source?: TokenView['source']
}

/**
 * Crafts each attack from real tokens, with the project's own forging helpers (the attack
 * catalogue's): a real token edited, unsigned or re-signed, or a real token of the wrong kind.
 * The console's own signing key, for wrong-key, is made once per algorithm and kept in memory;
 * no verifier has ever seen it.
 */
export function createAttackCrafter() {
  const ownKeys = new Map<string, Promise<SigningKey>>()
  const ownKey = (alg: unknown): Promise<SigningKey> => {
    const algorithm = isSigningAlgorithm(alg) ? alg : 'ES256'
    let key = ownKeys.get(algorithm)
    if (!key) ownKeys.set(algorithm, (key = generateSigningKey(algorithm)))
    return key
  }

  return async function craft(
    attack: AttackName,
    supply: TokenSupply,
    edit: EditedClaim = DEFAULT_EDIT,
  ): Promise<CraftedAttack> {
    switch (attack) {
      case 'edit-claim': {
        const real = await supply.serviceToken('serviceb')
        const { payload } = splitToken(real)
        return {
          token: withPayload(real, { ...payload, [edit.name]: edit.value }),
          description: `A real servicea token for serviceb with ${edit.name} changed to ${JSON.stringify(edit.value)}; the signature kept.`,
        }
      }
      case 'alg-none': {
        const { header, payload } = splitToken(await supply.serviceToken('serviceb'))
        return {
          token: forgeToken({ ...header, alg: 'none' }, payload, ''),
          description: 'A real servicea token for serviceb with alg "none" and no signature.',
        }
      }
      case 'wrong-audience':
        return {
          token: await supply.serviceToken('servicec'),
          description: 'A real servicea token issued for servicec, sent to serviceb.',
        }
      case 'wrong-key': {
        const { header, payload } = splitToken(await supply.serviceToken('serviceb'))
        const key = await ownKey(header.alg)
        return {
          token: signForged(key, { ...header, alg: key.alg, kid: key.kid }, payload),
          description: `servicea's claims signed by a key the console made (kid ${key.kid}), which no verifier trusts.`,
        }
      }
      case 'user-token':
        return {
          token: await supply.userToken('serviceb'),
          description:
            "The demo user's token for serviceb (typ at+jwt, signed with the factory's user key) in servicea's place.",
          source: 'user',
        }
      case 'replay-other-audience':
        return {
          token: await supply.lastSentTo('servicec'),
          description: 'The token servicea last sent servicec (scenario 2), replayed at serviceb.',
        }
    }
  }
}
