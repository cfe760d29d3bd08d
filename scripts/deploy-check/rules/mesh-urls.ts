import { containerName, podContainers } from '../deploy-model.ts'
import { nameOf, ofKind, type Service } from '../kube-objects.ts'
import { listenerBehind, selectedContainers } from '../service-listeners.ts'
import type { Rule } from './rule.ts'

/**
 * servicea's mesh URLs (SERVICEB_MESH_URL, SERVICEC_MESH_URL) reach each peer where its sidecar
 * can verify the token: the peer's Service by its cluster name, on a port whose process serves
 * plain HTTP; and that peer trusts its sidecar (MESH_PAYLOAD_HEADER), or `?verify=mesh` would
 * only ever answer that it is not set up.
 */
export const meshUrlsReachPeersHttpPorts: Rule = (model) => {
  const services = ofKind<Service>(model.manifests, 'Service')
  const problems: string[] = []
  for (const c of podContainers(model)) {
    for (const [peer, url] of Object.entries(c.process?.service?.meshPeers ?? {})) {
      if (url === undefined) continue
      const where = `${containerName(c)}: ${peer.toUpperCase()}_MESH_URL ${url}`
      const { hostname, port } = new URL(url)
      const service = services.find(
        (s) => hostname === `${s.object.metadata.name}.${model.namespace}.svc.cluster.local`,
      )
      const behind = service && selectedContainers(model, service.object)
      if (service === undefined || !behind?.some((b) => b.process?.role === peer)) {
        problems.push(`${where}: the host is not ${peer}'s Service by its cluster name`)
        continue
      }
      const servicePort = service.object.spec.ports?.find((p) => p.port === Number(port || 80))
      const listener = servicePort && listenerBehind(model, service.object, servicePort)
      if (listener?.scheme !== 'HTTP') {
        problems.push(
          `${where}: port ${port || 80} of ${nameOf(service)} is not its plain HTTP port, where the sidecar reads the token`,
        )
      }
      if (!behind.some((b) => b.process?.service?.meshPayloadHeader !== undefined)) {
        problems.push(`${where}: ${peer} sets no MESH_PAYLOAD_HEADER, so it refuses ?verify=mesh`)
      }
    }
  }
  return problems
}
