import { execFileSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { encodeSegment, type Segment } from '../forge.ts'

/**
 * Signs ES256 tokens with the `openssl` command, an outside signer that knows nothing of this
 * product: it writes a DER signature with whatever S its random nonce gives, high or low, as
 * Python's cryptography, Go and cloud KMS do. The private key is written to a 0600 file in a
 * private temporary folder for the command, and removed after.
 */
export function opensslEs256Tokens(
  privatePem: string,
  header: Segment,
  payloads: readonly Segment[],
): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'openssl-signer-'))
  try {
    const keyFile = join(dir, 'key.pem')
    writeFileSync(keyFile, privatePem, { mode: 0o600 })
    return payloads.map((payload) => {
      const input = `${encodeSegment(header)}.${encodeSegment(payload)}`
      const der = execFileSync('openssl', ['dgst', '-sha256', '-sign', keyFile], { input })
      return `${input}.${Buffer.from(derToJose(der)).toString('base64url')}`
    })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/** ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (RFC 3279) as R‖S (RFC 7518 §3.4). */
function derToJose(der: Buffer): Buffer {
  let at = der[1]! & 0x80 ? 2 + (der[1]! & 0x7f) : 2
  const integer = () => {
    const length = der[at + 1]!
    const value = der.subarray(at + 2, at + 2 + length)
    at += 2 + length
    const unsigned = value[0] === 0 ? value.subarray(1) : value
    return Buffer.concat([Buffer.alloc(32 - unsigned.length), unsigned])
  }
  return Buffer.concat([integer(), integer()])
}
