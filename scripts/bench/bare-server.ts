import {
  constants,
  createPrivateKey,
  createPublicKey,
  randomUUID,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { createServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { SigningAlgorithm } from '@jwt-factory/jwt'
import { announceListening, readStdinJson, stopOnSigterm } from './reference-child.ts'

/**
 * The bench's floor: a bare `node:https` server doing the factory's crypto and nothing else, no
 * framework, no middleware, no logging. `POST /sign` takes `{"aud": …}` and answers a compact JWT
 * with the factory's header and claims (alg, kid, typ; iss, sub, aud, iat, exp, jti); `POST
 * /verify` takes `{"token": …}` and checks the algorithm, the signature and exp. What one event
 * loop can do with the same TLS and the same crypto is what the factory's rows are divided by.
 */
export interface BareServerConfig {
  alg: SigningAlgorithm
  kid: string
  privateKeyPem: string
  /** The server certificate and key the factory serves HTTPS with. */
  certPem: string
  keyPem: string
}

/** As the factory's default TOKEN_TTL_SECONDS: the same digits in exp. */
const TTL_SECONDS = 3600
/** Far above `{"token": …}`; a body past it is refused, not buffered. */
const MAX_BODY_BYTES = 64 * 1024

type Done = (err: Error | null, result: Buffer) => void
type VerifyDone = (err: Error | null, valid: boolean) => void

/** node:crypto's arguments for each JWS algorithm (RFC 7518 §3.3-3.5, RFC 8037 §3.1). */
function schemeFor(alg: SigningAlgorithm, privateKey: KeyObject, publicKey: KeyObject) {
  const digest = alg === 'EdDSA' ? null : 'sha256'
  const extra =
    alg === 'ES256'
      ? { dsaEncoding: 'ieee-p1363' as const }
      : alg === 'PS256'
        ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
        : {}
  const signing = { key: privateKey, ...extra }
  const verifying = { key: publicKey, ...extra }
  return {
    // Where the factory does it: ES256 and EdDSA in place, RSA (about a millisecond) on libuv's
    // threads; it verifies through WebCrypto, on those threads too.
    sign: (data: Buffer, done: Done) =>
      alg === 'ES256' || alg === 'EdDSA'
        ? done(null, sign(digest, data, signing))
        : sign(digest, data, signing, done),
    verify: (data: Buffer, signature: Buffer, done: VerifyDone) =>
      verify(digest, data, verifying, signature, done),
  }
}

const b64 = (text: string) => Buffer.from(text).toString('base64url')

const config = await readStdinJson<BareServerConfig>()
const privateKey = createPrivateKey(config.privateKeyPem)
const scheme = schemeFor(config.alg, privateKey, createPublicKey(privateKey))
const headerPart = b64(JSON.stringify({ alg: config.alg, kid: config.kid, typ: 'JWT' }))
let issuer = ''

function answer(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(body)
}
const answerJson = (res: ServerResponse, status: number, body: object) =>
  answer(res, status, 'application/json', JSON.stringify(body))

function readBody(req: IncomingMessage, done: (body: string | undefined) => void): void {
  const chunks: Buffer[] = []
  let size = 0
  req.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size <= MAX_BODY_BYTES) chunks.push(chunk)
  })
  req.on('end', () => done(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString() : undefined))
}

function onSign(body: { aud?: unknown }, res: ServerResponse): void {
  const iat = Math.floor(Date.now() / 1000)
  const claims = { iss: issuer, sub: 'servicea', aud: body.aud, iat, exp: iat + TTL_SECONDS }
  const input = `${headerPart}.${b64(JSON.stringify({ ...claims, jti: randomUUID() }))}`
  scheme.sign(Buffer.from(input), (err, signature) => {
    if (err) answer(res, 500, 'text/plain', 'signing failed')
    else answer(res, 200, 'text/plain', `${input}.${signature.toString('base64url')}`)
  })
}

function onVerify(body: { token?: unknown }, res: ServerResponse): void {
  const parts = typeof body.token === 'string' ? body.token.split('.') : []
  const [header, payload, signature] = parts
  if (parts.length !== 3 || readJson(header!)?.alg !== config.alg)
    return answerJson(res, 401, { valid: false })
  scheme.verify(
    Buffer.from(`${header}.${payload}`),
    Buffer.from(signature!, 'base64url'),
    (err, ok) => {
      const claims = ok && !err ? readJson(payload!) : undefined
      const exp = claims?.exp
      if (typeof exp === 'number' && exp > Date.now() / 1000)
        answerJson(res, 200, { valid: true, claims })
      else answerJson(res, 401, { valid: false })
    },
  )
}

function readJson(part: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString())
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined
  } catch {
    return undefined
  }
}

const server = createServer({ key: config.keyPem, cert: config.certPem }, (req, res) => {
  const route = req.method === 'POST' ? req.url : undefined
  if (route !== '/sign' && route !== '/verify') return answer(res, 404, 'text/plain', 'not found')
  readBody(req, (text) => {
    if (text === undefined) return answer(res, 413, 'text/plain', 'body too large')
    let body: unknown
    try {
      body = JSON.parse(text)
    } catch {
      return answer(res, 400, 'text/plain', 'not JSON')
    }
    if (typeof body !== 'object' || body === null)
      return answer(res, 400, 'text/plain', 'not an object')
    if (route === '/sign') onSign(body, res)
    else onVerify(body, res)
  })
})
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo
  // The name its certificate carries, as the factory's issuer.
  issuer = `https://localhost:${port}`
  announceListening(port)
})
stopOnSigterm(() => {
  server.close()
  server.closeAllConnections()
})
