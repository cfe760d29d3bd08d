import { describe, expect, it } from 'vitest'
import { curlCommand } from './curl.ts'

describe('curlCommand', () => {
  it('writes the request as the README does: --cacert, the URL double-quoted', () => {
    expect(
      curlCommand('certs/ca.pem', 'https://localhost:3443/scenario1?trace=1&verify=jwks'),
    ).toBe('curl --cacert certs/ca.pem "https://localhost:3443/scenario1?trace=1&verify=jwks"')
  })

  it('single-quotes each header, and a quote inside one, so the shell passes it as it is', () => {
    expect(
      curlCommand('/tmp/my certs/ca.pem', 'https://localhost:8443/x', {
        Authorization: 'Bearer a.b.c',
        'X-Note': "it's",
      }),
    ).toBe(
      `curl --cacert '/tmp/my certs/ca.pem' -H 'Authorization: Bearer a.b.c' -H 'X-Note: it'\\''s' "https://localhost:8443/x"`,
    )
  })
})
