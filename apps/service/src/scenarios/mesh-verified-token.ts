import type { Context } from 'hono'
import { verifySignedElsewhere, type CheckName } from '@jwt-factory/jwt'
import { tracedVerification } from '@jwt-factory/trace'
import { connectionOf, type ServerEnv } from '@jwt-factory/server'
import { SCENARIO_CALLER } from '../config.ts'
import type { ServiceContext } from '../deps.ts'
import { incomingTrace } from '../trace.ts'
import { MeshNotConfiguredError, MeshUnverifiedError } from './mesh-refusals.ts'
import { missingToken, verdict } from './verdict.ts'

/**
 * What Envoy's jwt_authn checks for a RequestAuthentication rule before it writes the payload
 * header: the signature with the issuer's keys, the issuer, the audiences, nbf and exp.
 */
const CHECKED_BY_THE_MESH: readonly CheckName[] = ['iss', 'aud', 'nbf', 'exp']

/**
 * `Authorization` exactly as Envoy's jwt_authn reads a token from it (extractor.cc): the literal,
 * case-sensitive `Bearer ` and one JWS compact token. Envoy is more forgiving (it finds the prefix
 * anywhere in the joined values and skips to the first base64url character), so anything but
 * this one form could be a value where the app and the sidecar read two different tokens.
 */
const ENVOY_BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/

/**
 * The verifying side of `?verify=mesh` (scenarios 1 and 2). This service does not verify the
 * signature: its sidecar did (Istio's RequestAuthentication on the plain HTTP port), and wrote
 * the token's payload into MESH_PAYLOAD_HEADER (`outputPayloadToHeader`, Envoy's
 * `forward_payload_header`: the token's own base64url payload segment). Envoy first removes any
 * such header the caller sent, token or not, then writes it for a token it verified. The header
 * is trusted only when all four hold:
 * 1. MESH_PAYLOAD_HEADER is set: no header is trusted by default;
 * 2. the request came on the plain HTTP listener: on HTTPS the sidecar sees only TLS, so a header
 *    there is whatever the caller wrote;
 * 3. the connection comes from MESH_SIDECAR_ADDRESS (read from the socket): a connection from
 *    elsewhere in the pod (`kubectl port-forward` arrives from 127.0.0.1) went around the sidecar;
 * 4. `Authorization` is one token in Envoy's form, forwarded with it (`forwardOriginalToken`),
 *    and the header is exactly its payload segment: a request without a token gets no header
 *    from Envoy, so one there was not written for this token; and one Envoy did not remove (a
 *    sidecar configured otherwise) shows as a second value, no longer equal to the payload.
 * Then it checks what the mesh does not (sub servicea, typ JWT) and, cheaply, again what it does
 * (iss, aud this service, nbf, exp), and answers as every verifying side does (verdict.ts).
 */
export function meshVerifiedTokenEndpoint({ config }: ServiceContext) {
  const me = config.name
  const header = config.meshPayloadHeader
  const sidecar = config.meshSidecarAddress
  const checkedBy = {
    by: 'mesh',
    self: me,
    keys: `the factory's keys, as istiod hands them to ${me}'s sidecar`,
    alsoChecked: CHECKED_BY_THE_MESH,
  }
  const options = {
    issuer: config.factoryIssuer,
    audience: me,
    subject: SCENARIO_CALLER,
    clockToleranceSeconds: config.clockToleranceSeconds,
  }
  return async function trustMeshVerifiedToken(c: Context<ServerEnv>) {
    if (header === undefined) {
      throw new MeshNotConfiguredError(
        'MESH_PAYLOAD_HEADER',
        `the header ${me}'s sidecar writes a verified token's payload into; unset, ${me} trusts none`,
      )
    }
    const connection = connectionOf(c)
    if (connection.tls) {
      throw new MeshUnverifiedError(
        `${me} trusts its sidecar on its plain HTTP port only: no sidecar reads a token on HTTPS, so ${header} here is the caller's own`,
      )
    }
    if (connection.address !== sidecar) {
      throw new MeshUnverifiedError(
        `the connection comes from ${connection.address || 'no socket'}, not from ${me}'s sidecar (${sidecar}): it went around it`,
      )
    }
    // The sidecar reads `Authorization: Bearer` (the jwtRule pins it), nothing else (no cookie).
    const authorization = c.req.header('authorization')
    if (authorization === undefined) return missingToken(c, me)
    const token = ENVOY_BEARER.exec(authorization)?.[1]
    if (token === undefined) {
      throw new MeshUnverifiedError(
        'Authorization is not one token after a literal `Bearer ` (as the sidecar reads it), so it may not be the token the sidecar verified',
      )
    }
    const payload = c.req.header(header)
    if (payload === undefined) {
      throw new MeshUnverifiedError(
        `no ${header}: the sidecar writes it only for a token it verified`,
      )
    }
    if (payload !== token.split('.')[1]) {
      throw new MeshUnverifiedError(`${header} is not the payload of the token it came with`)
    }
    const trace = incomingTrace(c)
    const call = `check the claims (the signature was verified by ${me}'s sidecar)`
    const result = tracedVerification(trace, { by: me, token, call }, () =>
      verifySignedElsewhere(token, checkedBy, options),
    )
    return verdict(c, me, token, result)
  }
}
