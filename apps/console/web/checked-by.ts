import type { Check } from '@jwt-factory/jwt'

/**
 * Who ran a check, when it was not the verifier alone (`?verify=mesh`: the sidecar verified the
 * signature before the app saw the token). Undefined when the verifier ran it by itself, so the
 * usual checklist reads as before.
 */
export function checkedBy(check: Pick<Check, 'by'>, verifier: string): string | undefined {
  const by = check.by
  if (!by || by.length === 0 || (by.length === 1 && by[0] === verifier)) return undefined
  const names = by.map((name) => (name === 'mesh' ? 'the mesh' : name))
  return `checked by ${names.length === 1 ? names[0] : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`}`
}
