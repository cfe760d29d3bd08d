import { h, type Child } from './dom.ts'

export interface JsonViewOptions {
  /** Replaces a member's value: the header's `kid` as a link to its key. */
  value?: (name: string, value: unknown) => Node | undefined
  /** A note under a member: `// 2026-12-01T10:59:00Z · in 59 min` under `exp`. */
  note?: (name: string, value: unknown) => Child
}

/**
 * An object as pretty JSON, one member a line, values coloured by type (as jwt.io shows the
 * decoded parts), with room for a link or a note per member. Nested values stay on their line.
 */
export function jsonView(
  object: Record<string, unknown>,
  options: JsonViewOptions = {},
): HTMLElement {
  const entries = Object.entries(object)
  const lines = entries.map(([name, value], i) => {
    // A note is a block of its own under the member: it ends the line.
    const note = options.note?.(name, value)
    return h(
      'span',
      { class: 'json-line' },
      '  ',
      h('span', { class: 'json-key' }, JSON.stringify(name)),
      ': ',
      options.value?.(name, value) ?? jsonValue(value),
      i < entries.length - 1 ? ',' : '',
      note || '\n',
    )
  })
  return h('pre', { class: 'json' }, '{\n', ...lines, '}')
}

export function jsonValue(value: unknown): HTMLElement {
  const type = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value
  return h('span', { class: `json-${type}` }, JSON.stringify(value) ?? String(value))
}
