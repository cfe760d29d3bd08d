import { describe, expect, it } from 'vitest'
import { readCompactToken } from './compact-token.ts'

const b64 = (text: string | Uint8Array) => Buffer.from(text).toString('base64url')
const header = b64('{"alg":"ES256","kid":"k","typ":"JWT"}')
const payload = b64('{"sub":"servicea"}')
const signature = b64(new Uint8Array(64).fill(7))

describe('readCompactToken', () => {
  it('reads a well-formed token', () => {
    const result = readCompactToken(`${header}.${payload}.${signature}`)
    expect(result).toEqual({
      ok: true,
      token: {
        header: { alg: 'ES256', kid: 'k', typ: 'JWT' },
        payload: { sub: 'servicea' },
        signature: Buffer.alloc(64, 7),
      },
    })
  })

  it('an empty signature segment is structurally fine (the algorithm decides)', () => {
    expect(readCompactToken(`${header}.${payload}.`)).toMatchObject({ ok: true })
  })

  it.each([
    ['one segment', header, '1 segments, a JWS has 3'],
    ['two segments', `${header}.${payload}`, '2 segments, a JWS has 3'],
    ['five segments (JWE)', `${header}.${payload}.${signature}.x.y`, '5 segments, a JWS has 3'],
    [
      'standard base64 "+"',
      `${header}.${payload}.${signature.slice(0, -2)}+A`,
      'signature is not canonical base64url',
    ],
    [
      'standard base64 "/"',
      `${header}/.${payload}.${signature}`,
      'header is not canonical base64url',
    ],
    ['"=" padding', `${header}.${payload}.${signature}==`, 'signature is not canonical base64url'],
    ['a space', `${header}.${payload} .${signature}`, 'payload is not canonical base64url'],
    [
      'a length of 4n+1',
      `${header}.${payload}.${signature}AAA`,
      'signature is not canonical base64url',
    ],
    [
      'unused bits set in the last character',
      `${header}.${payload}.${signature.slice(0, -1)}${signature.at(-1) === 'w' ? 'x' : 'w'}`,
      'signature is not canonical base64url',
    ],
    [
      'a header that is not JSON',
      `${b64('ES256')}.${payload}.${signature}`,
      'header is not strict JSON',
    ],
    [
      'a header that is an array',
      `${b64('[]')}.${payload}.${signature}`,
      'header is not a JSON object',
    ],
    [
      'a payload that is null',
      `${header}.${b64('null')}.${signature}`,
      'payload is not a JSON object',
    ],
    [
      'a payload that is not UTF-8',
      `${header}.${b64(new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]))}.${signature}`,
      'payload is not UTF-8',
    ],
    ['an empty header', `.${payload}.${signature}`, 'header is not strict JSON'],
    [
      'a duplicate in the header',
      `${b64('{"alg":"none","alg":"ES256"}')}.${payload}.${signature}`,
      'header has a duplicate member "alg"',
    ],
    [
      'a duplicate in the payload',
      `${header}.${b64('{"sub":"a","sub":"b"}')}.${signature}`,
      'payload has a duplicate member "sub"',
    ],
    [
      'a crit header',
      `${b64('{"alg":"ES256","crit":["exp"],"exp":1}')}.${payload}.${signature}`,
      'header declares crit extensions, none is understood',
    ],
    [
      'an empty crit header',
      `${b64('{"alg":"ES256","crit":[]}')}.${payload}.${signature}`,
      'header declares crit extensions, none is understood',
    ],
    [
      'a kid that is a number',
      `${b64('{"alg":"ES256","kid":7}')}.${payload}.${signature}`,
      'kid is not a string',
    ],
    [
      'a kid that is null',
      `${b64('{"alg":"ES256","kid":null}')}.${payload}.${signature}`,
      'kid is not a string',
    ],
  ])('refuses %s', (_label, token, reason) => {
    const result = readCompactToken(token)
    expect(result.ok).toBe(false)
    expect(result.ok ? '' : result.reason).toContain(reason)
  })
})
