import { describe, expect, it } from 'vitest'
import { MAX_JSON_DEPTH, parseStrictJson } from './strict-json.ts'

describe('parseStrictJson: what JSON.parse reads, it reads the same', () => {
  it.each([
    '{}',
    '[]',
    '{"alg":"ES256","kid":"abc","typ":"JWT"}',
    ' { "a" : [ 1 , -2.5e+3 , 0 , 0.1 , true , false , null , "x" ] } ',
    '{"a":{"b":{"c":[{"d":1},{"d":2}]}}}',
    '{"s":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}',
    '{"lone":"\\ud800"}',
    '{"é":"ü","日本":"語"}',
    '"just a string"',
    '42',
    '{"__proto__":{"admin":true}}',
  ])('%s', (text) => {
    expect(parseStrictJson(text)).toEqual({ ok: true, value: JSON.parse(text) })
  })

  it('the same name in different objects is no duplicate', () => {
    const text = '{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}'
    expect(parseStrictJson(text)).toMatchObject({ ok: true })
  })
})

describe('parseStrictJson: duplicate member names (RFC 7515 §5.2 step 4, RFC 8725 §3.10)', () => {
  it.each([
    ['at the top', '{"alg":"none","alg":"ES256"}', 'alg'],
    ['with values of other types', '{"sub":"admin","iat":1,"sub":"servicea"}', 'sub'],
    ['nested in an object', '{"cnf":{"jkt":"a","jkt":"b"}}', 'jkt'],
    ['in an object inside an array', '{"list":[{"a":1},{"b":1,"b":2}]}', 'b'],
    ['spelt with a \\u escape', '{"kid":"a","\\u006bid":"b"}', 'kid'],
    ['spelt with an escaped slash', '{"a/b":1,"a\\/b":2}', 'a/b'],
    ['empty names', '{"":1,"":2}', ''],
  ])('%s: refused', (_label, text, name) => {
    expect(parseStrictJson(text)).toEqual({
      ok: false,
      reason: 'duplicate',
      detail: `duplicate member ${JSON.stringify(name)}`,
    })
  })

  it('names that differ only in case are different names', () => {
    expect(parseStrictJson('{"alg":"a","Alg":"b"}')).toMatchObject({ ok: true })
  })
})

describe('parseStrictJson: anything but RFC 8259 JSON is refused', () => {
  it.each([
    ['empty', ''],
    ['only spaces', '   '],
    ['a trailing comma in an object', '{"a":1,}'],
    ['a trailing comma in an array', '[1,]'],
    ['single quotes', "{'a':1}"],
    ['an unquoted name', '{a:1}'],
    ['a comment', '{"a":1 /* x */}'],
    ['a leading zero', '{"a":01}'],
    ['a leading plus', '{"a":+1}'],
    ['a bare dot', '{"a":.5}'],
    ['a trailing dot', '{"a":5.}'],
    ['NaN', '{"a":NaN}'],
    ['Infinity', '{"a":Infinity}'],
    ['a raw newline in a string', '{"a":"x\ny"}'],
    ['a raw NUL in a string', '{"a":"x\u0000y"}'],
    ['a bad escape', '{"a":"\\x41"}'],
    ['a short \\u escape', '{"a":"\\u12"}'],
    ['an unterminated string', '{"a":"x'],
    ['an unterminated object', '{"a":1'],
    ['a missing colon', '{"a" 1}'],
    ['two values', '{} {}'],
    ['trailing garbage', '{"a":1}x'],
    ['a byte order mark', '\ufeff{}'],
    ['a misspelt literal', '{"a":tru}'],
    ['a non-breaking space as whitespace', '{\u00a0"a":1}'],
  ])('%s', (_label, text) => {
    const result = parseStrictJson(text)
    expect(result).toMatchObject({ ok: false, reason: 'invalid' })
    // JSON.parse agrees on each of these except where this reader is stricter than nothing.
  })

  it(`refuses nesting deeper than ${MAX_JSON_DEPTH}, without recursing further`, () => {
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`
    expect(parseStrictJson(deep(MAX_JSON_DEPTH))).toMatchObject({ ok: true })
    expect(parseStrictJson(deep(MAX_JSON_DEPTH + 1))).toMatchObject({
      ok: false,
      reason: 'too-deep',
    })
    expect(parseStrictJson(deep(100_000))).toMatchObject({ ok: false, reason: 'too-deep' })
    const objects = `${'{"a":'.repeat(MAX_JSON_DEPTH + 1)}1${'}'.repeat(MAX_JSON_DEPTH + 1)}`
    expect(parseStrictJson(objects)).toMatchObject({ ok: false, reason: 'too-deep' })
  })
})
