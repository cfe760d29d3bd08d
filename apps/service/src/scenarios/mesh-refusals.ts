import { HttpError } from '@jwt-factory/server'
import type { PeerName } from '../peers/hop-client.ts'

/** The mesh variant's own codes, beside the shared ones: what a client may switch on. */
export type MeshErrorCode = 'ERR_MESH_NOT_CONFIGURED' | 'ERR_MESH_UNVERIFIED' | 'ERR_MESH_REFUSED'

const SEE_DOCS = 'see docs/20-kubernetes.md, the ?verify=mesh lesson'

/**
 * `?verify=mesh` asked of a service not set up for it: it runs in a cluster with Istio, where
 * servicea knows each peer's port inside the mesh and the peers know their sidecar's header.
 * 503, as a scenario this deployment cannot run (scenario 6 without its secret answers alike).
 */
export class MeshNotConfiguredError extends HttpError<MeshErrorCode> {
  override name = 'MeshNotConfiguredError'
  constructor(variable: string, what: string) {
    super(503, 'ERR_MESH_NOT_CONFIGURED', `?verify=mesh needs ${variable} (${what}): ${SEE_DOCS}`)
  }
}

export const meshUrlUnset = (peer: PeerName) =>
  new MeshNotConfiguredError(
    `${peer.toUpperCase()}_MESH_URL`,
    `${peer}'s plain HTTP URL inside the mesh; unset, so nothing was sent`,
  )

/**
 * A request asked to be trusted as the mesh verified it, and nothing shows the mesh did: it came
 * over HTTPS (no sidecar reads a token there) or from an address not the sidecar's (around it),
 * its Authorization is not one token as the sidecar reads it, or the payload header is missing or
 * is not the payload of the token it came with. 403: whatever the header says, no one verified
 * this token.
 */
export class MeshUnverifiedError extends HttpError<MeshErrorCode> {
  override name = 'MeshUnverifiedError'
  constructor(why: string) {
    super(403, 'ERR_MESH_UNVERIFIED', `not verified by the mesh: ${why}`)
  }
}

/**
 * The peer's sidecar refused the call itself, in its own plain-text words (Envoy's 401 `Jwt is
 * expired`, Istio's 403 `RBAC: access denied`): the app behind it never saw the request.
 */
export class MeshRefusedError extends HttpError<MeshErrorCode> {
  override name = 'MeshRefusedError'
  constructor(
    status: 401 | 403,
    readonly hop: PeerName,
    said: string,
  ) {
    super(status, 'ERR_MESH_REFUSED', `${hop}'s sidecar answered ${status}: ${said}`)
  }
}
