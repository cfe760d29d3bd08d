import { listenerBehind } from '../service-listeners.ts'
import { nameOf, ofKind, type Service } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

/**
 * The protocols Istio may take a port for, by what the process serves there. Istio picks a
 * port's protocol from its name's prefix (`http-…`) or appProtocol: an HTTPS port named `http-`
 * would have the sidecar parse TLS as HTTP and break every request; `https`/`tls` pass it through.
 */
const PROTOCOLS = { HTTP: ['http', 'http2'], HTTPS: ['https', 'tls'] } as const

/** Every Service port names the protocol its process serves, as Istio reads the name. */
export const istioPortNamesMatch: Rule = (model) => {
  const problems: string[] = []
  for (const s of ofKind<Service>(model.manifests, 'Service')) {
    for (const port of s.object.spec.ports ?? []) {
      const listener = listenerBehind(model, s.object, port)
      if (listener === undefined) continue // container-ports reports a port leading nowhere
      const protocol = port.appProtocol ?? port.name?.split('-')[0] ?? ''
      const allowed: readonly string[] = PROTOCOLS[listener.scheme]
      if (!allowed.includes(protocol)) {
        problems.push(
          `${nameOf(s)}: port ${port.port} (${port.name ?? 'unnamed'}) serves ${listener.scheme}: name it ${allowed.map((p) => `${p}-…`).join(' or ')}`,
        )
      }
    }
  }
  return problems
}
