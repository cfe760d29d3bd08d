import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http'
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
}

export interface TestSidecar {
  url: string
  /** Requests it refused itself, and those it passed on with a verified token, or without one. */
  seen: { refused: number; verified: number; withoutToken: number }
  close(): Promise<void>
}

/**
 * The part of an Istio sidecar the `?verify=mesh` lesson relies on, for tests on a machine
 * without Envoy: a RequestAuthentication's jwtRule on the app's plain HTTP port, as Envoy's
 * jwt_authn filter applies it under Istio. A token in `Authorization: Bearer` is verified with
 * jose against the issuer's JWKS (issuer, audiences, exp and nbf with Envoy's 60 s of skew); a
 * token that fails gets Envoy's plain-text 401; one that passes goes on with the original token
 * (forwardOriginalToken) and its base64url payload segment ADDED in the header (Envoy's addCopy,
 * beside any the caller wrote). A request without a token passes untouched: the pitfall only an
 * AuthorizationPolicy closes, which this stand-in does not play (the app must hold on its own).
 */
export async function startTestSidecar(rule: TestSidecarRule): Promise<TestSidecar> {
  let keys: ReturnType<typeof createRemoteJWKSet> | undefined
  const seen = { refused: 0, verified: 0, withoutToken: 0 }
  const server: Server = createServer((req, res) => {
    void (async () => {
      const headers: IncomingHttpHeaders = { ...req.headers }
      const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1]
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
        const name = rule.outputPayloadToHeader
        const payload = token.split('.')[1]!
        const written = headers[name]
        headers[name] = written === undefined ? payload : [written, payload].flat()
      }
      const target = new URL(req.url ?? '/', rule.target())
      const upstream = request(target, { method: req.method, headers }, (answer) => {
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
