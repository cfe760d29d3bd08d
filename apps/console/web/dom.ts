/**
 * The page's one way to make elements: `h('button', { class: 'x', onclick }, 'text')`. Attributes
 * that are `undefined`, `null` or `false` are left out; functions under `on…` names become event
 * listeners. No framework: each panel rebuilds its own small subtree when its data changes.
 */
export type AttrValue = string | number | boolean | undefined | null | ((event: Event) => void)
export type Attrs = Record<string, AttrValue>
export type Child = Node | string | number | null | undefined | false

const SVG_NS = 'http://www.w3.org/2000/svg'

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  return fill(document.createElement(tag), attrs, children)
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children)
}

function fill<E extends Element>(element: E, attrs: Attrs, children: Child[]): E {
  for (const [name, value] of Object.entries(attrs)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value)
    else if (value === true) element.setAttribute(name, '')
    else if (value !== undefined && value !== null && value !== false)
      element.setAttribute(name, String(value))
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    element.append(child instanceof Node ? child : String(child))
  }
  return element
}

/**
 * Replaces a panel's content and keeps the keyboard where it was: a panel that re-renders every
 * second (the state poll) must not pull focus off the button the learner is on. The element that
 * had focus is found again in the new content by its test id, id or accessible name.
 */
export function replaceContent(container: Element, ...children: (Node | string)[]): void {
  const focused = document.activeElement
  const key = focused && container.contains(focused) ? focusKey(focused) : undefined
  container.replaceChildren(...children)
  if (key === undefined) return
  const again = container.querySelector<HTMLElement | SVGElement>(key)
  again?.focus({ preventScroll: true })
}

function focusKey(element: Element): string | undefined {
  for (const attr of ['data-testid', 'id', 'aria-label']) {
    const value = element.getAttribute(attr)
    if (value) return `[${attr}="${CSS.escape(value)}"]`
  }
  return undefined
}
