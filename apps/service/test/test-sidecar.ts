import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteJWKSet, errors, jwtVerify } from 'jose'

/** Where the stand-in finds what a RequestAuthentication names, once the cluster has started. */
export interface TestSidecarRule {
  /** The app behind it: its plain HTTP listener. */
  target: () => string
  issuer: () => string
  jwksUri: () => string
  audiences: string[]
  /** Istio's outputPayloadToHeader. */
  outputPayloadToHeader: string
  /**
   * false plays A SIDECAR THAT DOES NOT STRIP: it keeps the caller's own payload header and adds
   * the verified payload beside it, which Envoy never does. Only for the defence-in-depth tests:
   * what serviceb holds on its own if its sidecar were ever configured or built otherwise.
   */
  stripsPayloadHeader?: boolean
}

/** Where Istio's inbound clusters connect to the app from (upstream_bind_config, since 1.10). */
export const SIDECAR_ADDRESS = '127.0.0.6'

export interface TestSidecar {
  url: string
  /** Requests it refused itself, and those it passed on with a verified token, or without one. */
  seen: { refused: number; verified: number; withoutToken: number }
  close(): Promise<void>
}

/**
 * The part of an Istio sidecar the `?verify=mesh` lesson relies on, for tests on a machine
 * without Envoy: a RequestAuthentication's jwtRule on the app's plain HTTP port, as Envoy's
 * jwt_authn filter applies it under Istio (extractor.cc). First it removes any payload header
 * the caller sent (`sanitizeHeaders`), token or not. It finds the token as Envoy does: the
 * case-sensitive `Bearer ` anywhere in the Authorization values joined by commas, then the run of
 * base64url characters and dots after it. A token is verified with jose against the issuer's
 * JWKS (issuer, audiences, exp and nbf with Envoy's 60 s of skew); one that fails gets Envoy's
 * plain-text 401; one that passes goes on with the original token (forwardOriginalToken) and its
 * base64url payload segment in the header. A request without a token passes, minus the header:
 * the pitfall only an AuthorizationPolicy closes, which this stand-in does not play. It connects
 * to the app from 127.0.0.6, as Istio's inbound cluster does (all of 127/8 is loopback on Linux).
 */
export async function startTestSidecar(rule: TestSidecarRule): Promise<TestSidecar> {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined
  const seen = { refused: 0, verified: 0, withoutToken: 0 }
  const name = rule.outputPayloadToHeader
  const strips = rule.stripsPayloadHeader ?? true
  const server: Server = createServer((req, res) => {
    void (async () => {
      const headers = pairsOf(req.rawHeaders).filter(([n]) => !strips || n.toLowerCase() !== name)
      const token = envoyBearerToken(req.rawHeaders)
      if (token === undefined) {
        seen.withoutToken++
      } else {
        keys ??= createRemoteJWKSet(new URL(rule.jwksUri()))
        try {
          await jwtVerify(token, keys, {
            issuer: rule.issuer(),
            audience: rule.audiences,
            clockTolerance: 60,
          })
        } catch (err) {
          seen.refused++
          const said =
            err instanceof errors.JWTExpired ? 'Jwt is expired' : 'Jwt verification fails'
          res.writeHead(401, {
            'content-type': 'text/plain',
            'www-authenticate': `Bearer realm="${rule.target()}", error="invalid_token"`,
          })
          return res.end(said)
        }
        seen.verified++
        headers.push([name, token.split('.')[1]!])
      }
      const target = new URL(req.url ?? '/', rule.target())
      const options = { method: req.method, headers: headers.flat(), localAddress: SIDECAR_ADDRESS }
      const upstream = request(target, options, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      })
      upstream.on('error', () => res.writeHead(503).end('upstream connect error'))
      req.pipe(upstream)
    })()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve())
        // servicea's client keeps its connections alive; close() alone would wait for them.
        server.closeAllConnections()
      }),
  }
}

const pairsOf = (raw: string[]) =>
  raw.flatMap((value, i) => (i % 2 === 0 ? [[value, raw[i + 1]!] as [string, string]] : []))

/** Envoy's extractJWT on `Authorization` with the prefix `Bearer `. */
function envoyBearerToken(raw: string[]): string | undefined {
  const values = pairsOf(raw).filter(([n]) => n.toLowerCase() === 'authorization')
  if (values.length === 0) return undefined
  const joined = values.map(([, v]) => v).join(',')
  const at = joined.indexOf('Bearer ')
  if (at === -1) return undefined
  return /[A-Za-z0-9_.-]+/.exec(joined.slice(at + 'Bearer '.length))?.[0] ?? joined
}
