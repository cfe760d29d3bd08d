/**
 * A strict reader for the JSON of a token's header and payload. `JSON.parse` keeps the last of
 * two members with the same name, so `{"alg":"none","alg":"ES256"}` would be read differently
 * by different libraries; RFC 7515 §5.2 step 4 and RFC 7519 §4 let a verifier refuse such JSON,
 * and RFC 8725 §3.10 asks for one unambiguous reading. This checks the grammar of RFC 8259
 * exactly (no trailing commas, comments, single quotes, leading zeros, raw control characters)
 * and compares member names after unescaping (`"s\u0075b"` is `"sub"`).
 *
 * Input is already capped by MAX_TOKEN_LENGTH; nesting is capped too, so the recursion is bounded.
 */

export type StrictJsonResult =
  | { ok: true; value: unknown }
  | { ok: false; reason: 'invalid' | 'duplicate' | 'too-deep'; detail: string }

/** Far deeper than any header or claims set; deeper input is refused, not parsed. */
export const MAX_JSON_DEPTH = 32

class StrictJsonError extends Error {
  constructor(
    readonly reason: 'invalid' | 'duplicate' | 'too-deep',
    readonly detail: string,
  ) {
    super(detail)
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const HEX4 = /^[0-9a-fA-F]{4}$/
const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
}

/** Parses `text` as one JSON value, refusing duplicate member names at any depth. */
export function parseStrictJson(text: string): StrictJsonResult {
  const reader = new StrictReader(text)
  try {
    reader.skipValue(0)
    reader.skipWhitespace()
    if (reader.i !== text.length) throw reader.invalid('trailing characters')
  } catch (err) {
    if (err instanceof StrictJsonError) return { ok: false, reason: err.reason, detail: err.detail }
    throw err
  }
  // The grammar is now known to be strict JSON without duplicates: JSON.parse reads it the same.
  return { ok: true, value: JSON.parse(text) as unknown }
}

/** A run of string characters that need no care: no quote, backslash or control character. */
const PLAIN = /[^"\\\u0000-\u001f]*/y

/** One pass over the text; values are only checked, the names of each object kept to compare. */
class StrictReader {
  i = 0
  constructor(readonly text: string) {}

  invalid(what: string): StrictJsonError {
    return new StrictJsonError('invalid', `${what} at ${this.i}`)
  }

  skipWhitespace(): void {
    const { text } = this
    for (;;) {
      const c = text.charCodeAt(this.i)
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return
      this.i++
    }
  }

  /** Moves past a string (at its opening quote) and returns it unescaped. */
  readString(): string {
    const { text } = this
    this.i++ // the opening quote
    let out = ''
    for (;;) {
      PLAIN.lastIndex = this.i
      PLAIN.test(text)
      out += text.slice(this.i, PLAIN.lastIndex)
      this.i = PLAIN.lastIndex
      const c = text.charCodeAt(this.i)
      if (c === 0x22) {
        this.i++
        return out
      }
      if (Number.isNaN(c)) throw this.invalid('unterminated string')
      if (c !== 0x5c) throw this.invalid('control character in string')
      const e = text[this.i + 1]
      if (e === 'u') {
        const hex = text.slice(this.i + 2, this.i + 6)
        if (!HEX4.test(hex)) throw this.invalid('bad \\u escape')
        out += String.fromCharCode(Number.parseInt(hex, 16))
        this.i += 6
      } else {
        const replacement = e === undefined ? undefined : ESCAPES[e]
        if (replacement === undefined) throw this.invalid('bad escape')
        out += replacement
        this.i += 2
      }
    }
  }

  skipLiteral(literal: string): void {
    if (!this.text.startsWith(literal, this.i)) throw this.invalid('unexpected character')
    this.i += literal.length
  }

  /** Checks one value and moves past it; the values themselves come from JSON.parse at the end. */
  skipValue(depth: number): void {
    this.skipWhitespace()
    const c = this.text.charCodeAt(this.i)
    if (c === 0x7b) return this.skipObject(depth + 1) // {
    if (c === 0x5b) return this.skipArray(depth + 1) // [
    if (c === 0x22) return void this.readString()
    if (c === 0x74) return this.skipLiteral('true')
    if (c === 0x66) return this.skipLiteral('false')
    if (c === 0x6e) return this.skipLiteral('null')
    NUMBER.lastIndex = this.i
    if (!NUMBER.test(this.text) || NUMBER.lastIndex === this.i)
      throw this.invalid('unexpected character')
    this.i = NUMBER.lastIndex
  }

  skipObject(depth: number): void {
    if (depth > MAX_JSON_DEPTH) throw tooDeep()
    this.i++ // {
    this.skipWhitespace()
    if (this.text.charCodeAt(this.i) === 0x7d) {
      this.i++
      return
    }
    const names = new Set<string>()
    for (;;) {
      this.skipWhitespace()
      if (this.text.charCodeAt(this.i) !== 0x22) throw this.invalid('expected a member name')
      const name = this.readString()
      if (names.has(name)) {
        throw new StrictJsonError('duplicate', `duplicate member ${JSON.stringify(name)}`)
      }
      names.add(name)
      this.skipWhitespace()
      if (this.text.charCodeAt(this.i) !== 0x3a) throw this.invalid('expected ":"')
      this.i++
      this.skipValue(depth)
      if (this.endOfList(0x7d)) return
    }
  }

  skipArray(depth: number): void {
    if (depth > MAX_JSON_DEPTH) throw tooDeep()
    this.i++ // [
    this.skipWhitespace()
    if (this.text.charCodeAt(this.i) === 0x5d) {
      this.i++
      return
    }
    for (;;) {
      this.skipValue(depth)
      if (this.endOfList(0x5d)) return
    }
  }

  /** After a member or element: true at the closing bracket, false after a comma. */
  endOfList(close: number): boolean {
    this.skipWhitespace()
    const c = this.text.charCodeAt(this.i)
    this.i++
    if (c === close) return true
    if (c === 0x2c) return false
    this.i--
    throw this.invalid(close === 0x7d ? 'expected "," or "}"' : 'expected "," or "]"')
  }
}

const tooDeep = () => new StrictJsonError('too-deep', `nested deeper than ${MAX_JSON_DEPTH}`)
