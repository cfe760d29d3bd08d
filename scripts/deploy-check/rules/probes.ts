import { containerName, podContainers } from '../deploy-model.ts'
import type { Probe } from '../kube-objects.ts'
import type { Rule } from './rule.ts'

/** The health endpoint of every app of the project, answered on its HTTP port. */
const HEALTH_PATH = '/healthz'

/**
 * Every container has a readiness and a liveness probe on a declared port its process listens on
 * with the probe's scheme (an HTTP probe on the HTTPS port fails forever); the project's apps are
 * probed at /healthz.
 */
export const probesTargetHealth: Rule = (model) => {
  const problems: string[] = []
  for (const c of podContainers(model)) {
    const ports = c.container.ports ?? []
    const probes: [string, Probe | undefined][] = [
      ['readinessProbe', c.container.readinessProbe],
      ['livenessProbe', c.container.livenessProbe],
    ]
    for (const [kind, probe] of probes) {
      const where = `${containerName(c)} ${kind}`
      const get = probe?.httpGet
      if (get === undefined) {
        problems.push(`${where}: missing, or not an httpGet`)
        continue
      }
      const port = ports.find((p) => p.containerPort === get.port || p.name === get.port)
      if (port === undefined) {
        problems.push(`${where}: port ${get.port} is not a declared containerPort`)
        continue
      }
      const scheme = get.scheme ?? 'HTTP'
      const listener = c.process?.listeners.find((l) => l.port === port.containerPort)
      if (listener !== undefined && listener.scheme !== scheme) {
        problems.push(
          `${where}: ${scheme} on ${port.containerPort}, which serves ${listener.scheme}`,
        )
      }
      const ours = c.process?.factory !== undefined || c.process?.service !== undefined
      if (ours && get.path !== HEALTH_PATH)
        problems.push(`${where}: path ${get.path}, not ${HEALTH_PATH}`)
    }
  }
  return problems
}
