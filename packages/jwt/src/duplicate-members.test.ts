import { describe, expect, it } from 'vitest'
import { findDuplicateMember } from './duplicate-members.ts'

describe('findDuplicateMember: one reading of a token for every verifier', () => {
  it.each([
    ['at the top', '{"alg":"none","alg":"ES256"}', 'alg'],
    ['with values of other types', '{"sub":"admin","iat":1,"sub":"servicea"}', 'sub'],
    ['nested in an object', '{"cnf":{"jkt":"a","jkt":"b"}}', 'jkt'],
    ['in an object inside an array', '{"list":[{"a":1},{"b":1,"b":2}]}', 'b'],
    ['after a nested object closed', '{"a":{"x":1},"b":2,"a":3}', 'a'],
    ['after an array closed', '{"a":[1,[2]],"b":2,"a":3}', 'a'],
    ['after a value holding an escaped quote', '{"x":"\\"","x":1}', 'x'],
    ['spelt with a \\u escape', '{"kid":"a","\\u006bid":"b"}', 'kid'],
    ['spelt with an escaped slash', '{"a/b":1,"a\\/b":2}', 'a/b'],
    ['with whitespace before the colon', '{"sub" \n\t :1, "sub"\r\n:2}', 'sub'],
    ['with long whitespace before the colon', `{"sub":1,"sub"${' '.repeat(200)}:2}`, 'sub'],
    ['empty names', '{"":1,"":2}', ''],
    // Not JSON, so refused anyway; compared as written, never a throw.
    ['spelt with an escape JSON does not know, as written', '{"\\q":1,"\\q":2}', '"\\q"'],
  ])('%s: found', (_label, text, name) => {
    expect(findDuplicateMember(text)).toBe(name)
  })

  it.each([
    ['distinct names', '{"alg":"ES256","kid":"abc","typ":"JWT"}'],
    ['the same name in different objects', '{"a":{"x":1},"b":{"x":2},"c":[{"x":3},{"x":4}]}'],
    ['a value that repeats a name', '{"sub":"sub","aud":"sub"}'],
    ['strings in an array', '{"aud":["a","a"]}'],
    ['names that differ only in case', '{"alg":"a","Alg":"b"}'],
    ['quotes and braces inside strings', '{"a":"}\\"{","b":"\\\\","c":"[:"}'],
    ['a name followed by a colon inside a string value', '{"a":"\\"a\\":1"}'],
  ])('%s: none', (_label, text) => {
    expect(findDuplicateMember(text)).toBeUndefined()
  })

  // The text comes from an attacker and is read before JSON.parse judges it.
  it.each([
    ['an unterminated name', '{"a":1,"a'],
    ['an unterminated escape', '{"a":1,"a\\'],
    ['names in an array', '["a":1,"a":2]'],
    ['names outside any object', '"a":1,"a":2'],
    ['more closings than openings', '}]"a":1,"a":2'],
  ])('malformed text, %s: none, and no throw', (_label, text) => {
    expect(findDuplicateMember(text)).toBeUndefined()
  })
})
