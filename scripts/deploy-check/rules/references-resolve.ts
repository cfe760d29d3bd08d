import { basename } from 'node:path/posix'
import { podOwners } from '../deploy-model.ts'
import { generatorSources } from '../kustomization.ts'
import { nameOf, type Container, type PodSpec } from '../kube-objects.ts'
import { mountedSecretFile } from '../secret-mounts.ts'
import type { Rule } from './rule.ts'

/**
 * Everything a pod (of a Deployment, a StatefulSet or a Job) names exists, or it never starts (and only the cluster would say so): its
 * ServiceAccount, the Secrets and ConfigMaps of its volumes and envFrom (generated ones by their
 * generator's name), the volumes its containers mount. A `*_FILE` variable pointing into a
 * mounted Secret names a file that Secret holds: ADMIN_TOKEN_FILE, STORE_KEK_FILE, the etcd
 * certificates.
 */
export const referencesResolve: Rule = (model) => {
  const { manifests, kustomization } = model
  const named = (kind: string) =>
    new Set(manifests.filter((m) => m.object.kind === kind).map((m) => m.object.metadata.name))
  const accounts = named('ServiceAccount')
  const secretFiles = new Map<string, string[]>(
    (kustomization.secretGenerator ?? []).map((g) => [
      g.name,
      generatorSources(g).map((f) => basename(f)),
    ]),
  )
  const secrets = new Set([...named('Secret'), ...secretFiles.keys()])
  const configMaps = new Set([
    ...named('ConfigMap'),
    ...(kustomization.configMapGenerator ?? []).map((g) => g.name),
  ])
  const problems: string[] = []
  for (const w of podOwners(model)) {
    const pod = w.object.spec.template.spec
    const where = nameOf(w)
    if (pod.serviceAccountName !== undefined && !accounts.has(pod.serviceAccountName)) {
      problems.push(`${where}: ServiceAccount ${pod.serviceAccountName} does not exist`)
    }
    const volumes = new Map((pod.volumes ?? []).map((v) => [v.name, v]))
    for (const v of volumes.values()) {
      if (v.secret && !secrets.has(v.secret.secretName))
        problems.push(`${where}: volume ${v.name}: no Secret ${v.secret.secretName}`)
      if (v.configMap && !configMaps.has(v.configMap.name))
        problems.push(`${where}: volume ${v.name}: no ConfigMap ${v.configMap.name}`)
    }
    const claims = new Set((w.object.spec.volumeClaimTemplates ?? []).map((c) => c.metadata.name))
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      for (const from of c.envFrom ?? []) {
        if (from.configMapRef && !configMaps.has(from.configMapRef.name))
          problems.push(`${where} container ${c.name}: no ConfigMap ${from.configMapRef.name}`)
        if (from.secretRef && !secrets.has(from.secretRef.name))
          problems.push(`${where} container ${c.name}: no Secret ${from.secretRef.name}`)
      }
      for (const mount of c.volumeMounts ?? []) {
        if (!volumes.has(mount.name) && !claims.has(mount.name))
          problems.push(`${where} container ${c.name}: mounts ${mount.name}, which is no volume`)
      }
      problems.push(...fileProblems(`${where} container ${c.name}`, pod, c, secretFiles))
    }
  }
  return problems
}

/** `*_FILE` variables that point into a mounted Secret name a file it holds. */
function fileProblems(
  where: string,
  pod: PodSpec,
  c: Container,
  secretFiles: Map<string, string[]>,
): string[] {
  const problems: string[] = []
  for (const v of c.env ?? []) {
    if (!v.name.endsWith('_FILE') || v.value === undefined) continue
    const found = mountedSecretFile(pod, c, v.value)
    const files = found === undefined ? undefined : secretFiles.get(found.secret)
    if (files === undefined) continue
    if (!files.includes(found!.file)) {
      problems.push(
        `${where}: ${v.name}=${v.value}, but Secret ${found!.secret} holds ${files.join(', ')}`,
      )
    }
  }
  return problems
}
