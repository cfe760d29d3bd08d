import { h } from './dom.ts'

/** The first characters of a kid: RFC 7638 thumbprints are 43 characters, too long to repeat. */
export const shortKid = (kid: string) => (kid.length > 12 ? `${kid.slice(0, 10)}…` : kid)

/** A kid that leads to its key in the keys panel (`#key-<kid>`), where it lights up. */
export function kidLink(
  kid: string,
  onKid: (kid: string) => void,
  text = shortKid(kid),
): HTMLAnchorElement {
  return h(
    'a',
    {
      href: `#key-${kid}`,
      class: 'kid-link mono',
      title: kid,
      onclick: (event) => {
        event.preventDefault()
        onKid(kid)
      },
    },
    text,
  )
}
