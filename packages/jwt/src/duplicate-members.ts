/**
 * `JSON.parse`, and so jose, keeps the last of two members with the same name, while other
 * libraries keep the first: `{"sub":"servicea","sub":"admin"}` reads as two different callers to
 * two verifiers of one token. RFC 7515 §4 and RFC 7519 §4 let a verifier refuse such JSON; this
 * product does, so every verifier reads a token it accepts the same way. Member names are
 * compared after unescaping (`"s\u0075b"` is `"sub"`).
 */

/** The first member name that appears twice in one object of `json`; undefined if none does. */
export function findDuplicateMember(json: string): string | undefined {
  // One Set of names per open object; undefined for an open array.
  const open: (Set<string> | undefined)[] = []
  for (let i = 0; i < json.length; i++) {
    const c = json[i]
    if (c === '{') open.push(new Set())
    else if (c === '[') open.push(undefined)
    else if (c === '}' || c === ']') open.pop()
    else if (c === '"') {
      const end = endOfString(json, i)
      const names = open.at(-1)
      if (names !== undefined && json[skipWhitespace(json, end + 1)] === ':') {
        const name = unescape(json.slice(i, end + 1))
        if (names.has(name)) return name
        names.add(name)
      }
      i = end
    }
  }
  return undefined
}

/** Index of the quote that closes the string opened at `start` (or the text's end). */
function endOfString(json: string, start: number): number {
  let i = start + 1
  while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1
  return i
}

function skipWhitespace(json: string, from: number): number {
  let i = from
  while (json[i] === ' ' || json[i] === '\t' || json[i] === '\n' || json[i] === '\r') i++
  return i
}

/** A string literal's value; an unreadable one (the JSON is malformed anyway) as written. */
function unescape(literal: string): string {
  try {
    return JSON.parse(literal) as string
  } catch {
    return literal
  }
}
