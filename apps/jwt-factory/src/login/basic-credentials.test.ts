import { HttpError } from '@jwt-factory/server'
import { describe, expect, it } from 'vitest'
import { parseBasicCredentials } from './basic-credentials.ts'

const b64 = (text: string | Buffer) => Buffer.from(text).toString('base64')

function refusal(header: string | undefined): HttpError {
  try {
    parseBasicCredentials(header)
  } catch (err) {
    if (err instanceof HttpError) return err
    throw err
  }
  throw new Error(`accepted ${header}`)
}

describe('Basic credentials (RFC 7617)', () => {
  it('reads Basic, any case, and the bare base64 value AppMesh sends', () => {
    expect(parseBasicCredentials(`Basic ${b64('alice:pw')}`)).toEqual({
      name: 'alice',
      password: 'pw',
    })
    expect(parseBasicCredentials(`basic ${b64('alice:pw')}`)).toEqual({
      name: 'alice',
      password: 'pw',
    })
    expect(parseBasicCredentials(b64('alice:pw'))).toEqual({ name: 'alice', password: 'pw' })
  })

  it('splits at the first colon: the password may hold more', () => {
    expect(parseBasicCredentials(`Basic ${b64('alice:p:w:')}`)).toEqual({
      name: 'alice',
      password: 'p:w:',
    })
  })

  it('reads UTF-8', () => {
    expect(parseBasicCredentials(`Basic ${b64('zoë:pässwörd')}`)).toEqual({
      name: 'zoë',
      password: 'pässwörd',
    })
  })

  it('asks for credentials (401 + Basic challenge) when there is no header', () => {
    const err = refusal(undefined)
    expect(err.status).toBe(401)
    expect(err.headers['WWW-Authenticate']).toBe('Basic realm="jwt-factory", charset="UTF-8"')
  })

  it.each([
    ['no colon', `Basic ${b64('alicepw')}`],
    ['an empty name', `Basic ${b64(':pw')}`],
    ['an empty password', `Basic ${b64('alice:')}`],
    ['both empty', `Basic ${b64(':')}`],
    ['non-UTF-8 bytes', `Basic ${b64(Buffer.from([0x61, 0x3a, 0xff, 0xfe]))}`],
    ['not base64', 'Basic !!!!'],
    ['a Bearer token', 'Bearer abc.def.ghi'],
    ['"Basic" alone', 'Basic'],
    ['a control character', `Basic ${b64('alice:p\nw')}`],
  ])('answers 400 for %s', (_name, header) => {
    const err = refusal(header)
    expect(err.status).toBe(400)
    expect(err.code).toBe('ERR_BAD_REQUEST')
  })
})
