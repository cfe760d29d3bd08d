import type { Listener } from './container-process.ts'
import { podContainers, type DeployModel, type PodContainer } from './deploy-model.ts'
import type { Service, ServicePort } from './kube-objects.ts'
import { selects } from './selectors.ts'

/** The containers a Service sends its traffic to. */
export const selectedContainers = (model: DeployModel, service: Service): PodContainer[] =>
  podContainers(model).filter((c) =>
    selects(service.spec.selector, c.workload.object.spec.template.metadata?.labels),
  )

/**
 * What answers behind one port of a Service: the listener of a selected container on the
 * containerPort its targetPort names (by number or by name). Undefined when nothing does.
 */
export function listenerBehind(
  model: DeployModel,
  service: Service,
  port: ServicePort,
): Listener | undefined {
  const target = port.targetPort ?? port.port
  for (const c of selectedContainers(model, service)) {
    const declared = (c.container.ports ?? []).find(
      (p) => p.containerPort === target || p.name === target,
    )
    const listener = c.process?.listeners.find((l) => l.port === declared?.containerPort)
    if (listener !== undefined) return listener
  }
  return undefined
}
