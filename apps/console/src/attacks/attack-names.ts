/**
 * The "break it" attacks, each sent to serviceb in servicea's place. A file of its own with no
 * imports: the page bundles this list, and must not pull in the crafting, which is node's.
 */
export const ATTACKS = [
  'edit-claim',
  'alg-none',
  'wrong-audience',
  'wrong-key',
  'user-token',
  'replay-other-audience',
] as const

export type AttackName = (typeof ATTACKS)[number]
