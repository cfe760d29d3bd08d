import { isLoopbackHost } from '@jwt-factory/factory'
import { containerName, podContainers, workloads } from '../deploy-model.ts'
import { nameOf, type Service } from '../kube-objects.ts'
import { selects } from '../selectors.ts'
import type { Rule } from './rule.ts'

/**
 * Every containerPort is a port its process listens on, and every listener is declared, on an
 * address beyond loopback (a process on 127.0.0.1 is out of reach of its Service and sidecar).
 * Every Service port leads to a declared containerPort of the pods it selects.
 */
export const containerPortsMatch: Rule = (model) => {
  const problems: string[] = []
  for (const c of podContainers(model)) {
    if (c.process === undefined) {
      problems.push(`${containerName(c)}: ${c.problem}`)
      continue
    }
    const listening = new Set(c.process.listeners.map((l) => l.port))
    const declared = new Set((c.container.ports ?? []).map((p) => p.containerPort))
    for (const port of declared) {
      if (!listening.has(port)) {
        problems.push(
          `${containerName(c)}: containerPort ${port}, but ${c.process.role} listens on ${[...listening].join(', ')}`,
        )
      }
    }
    for (const l of c.process.listeners) {
      if (!declared.has(l.port))
        problems.push(`${containerName(c)}: listens on ${l.port}, not declared`)
      if (isLoopbackHost(l.host)) {
        problems.push(`${containerName(c)}: listens on ${l.host}:${l.port}, loopback only`)
      }
    }
  }
  const pods = workloads(model)
  for (const m of model.manifests.filter((m) => m.object.kind === 'Service')) {
    const service = m.object as Service
    const selected = pods.filter((w) =>
      selects(service.spec.selector, w.object.spec.template.metadata?.labels),
    )
    for (const port of service.spec.ports ?? []) {
      const target = port.targetPort ?? port.port
      const reached = selected.some((w) =>
        w.object.spec.template.spec.containers.some((c) =>
          (c.ports ?? []).some((p) => p.containerPort === target || p.name === target),
        ),
      )
      if (!reached)
        problems.push(
          `${nameOf(m)}: port ${port.port} targets ${target}, which no selected container declares`,
        )
    }
  }
  return problems
}
