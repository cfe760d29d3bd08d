import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { containerProcess, type ContainerProcess, type ProjectImage } from './container-process.ts'
import { generatedConfigMaps } from './config-maps.ts'
import type { DeployFile } from './deploy-files.ts'
import { imageCommand } from './image-command.ts'
import {
  type Container,
  isPodOwner,
  isWorkload,
  type KubeObject,
  type Manifest,
  type PodOwner,
  type Workload,
} from './kube-objects.ts'
import { KUSTOMIZATION_FILE, type Kustomization } from './kustomization.ts'

/** Everything the rules look at: deploy/'s objects, its kustomization, and the image they run. */
export interface DeployModel {
  root: string
  namespace: string
  kustomization: Kustomization
  manifests: Manifest[]
  image: ProjectImage
  /** Each generated ConfigMap's variables, as `prepare` makes them. */
  configMaps: Map<string, Record<string, string>>
}

/** One container of a Deployment or StatefulSet, with what it runs (or why that is unknown). */
export interface PodContainer {
  workload: { file: string; object: Workload }
  container: Container
  process?: ContainerProcess
  problem?: string
}

/** The model of deploy/ as parsed files: the kustomization apart, every other document an object. */
export function deployModel(root: string, files: DeployFile[]): DeployModel {
  const kustomization = files.find((f) => f.path === KUSTOMIZATION_FILE)?.documents[0] as
    Kustomization | undefined
  if (kustomization === undefined) throw new Error(`deploy/${KUSTOMIZATION_FILE} is missing`)
  const manifests = files
    .filter((f) => f.path !== KUSTOMIZATION_FILE)
    .flatMap((f) => f.documents.map((object) => ({ file: f.path, object: object as KubeObject })))
  const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8')
  return {
    root,
    namespace: kustomization.namespace ?? 'default',
    kustomization,
    manifests,
    image: {
      names: new Set((kustomization.images ?? []).map((i) => i.name)),
      command: imageCommand(dockerfile),
    },
    configMaps: generatedConfigMaps(root, kustomization),
  }
}

/** Every workload (Deployment, StatefulSet) with its file. */
export const workloads = (model: DeployModel) =>
  model.manifests
    .filter((m) => isWorkload(m.object))
    .map((m) => ({ file: m.file, object: m.object as Workload }))

/** Everything with a pod template (workloads and Jobs) with its file: what every pod must keep. */
export const podOwners = (model: DeployModel) =>
  model.manifests
    .filter((m) => isPodOwner(m.object))
    .map((m) => ({ file: m.file, object: m.object as PodOwner }))

/** Every long-running container of every workload, each with its process worked out. */
export function podContainers(model: DeployModel): PodContainer[] {
  return workloads(model).flatMap((workload) =>
    workload.object.spec.template.spec.containers.map((container) => {
      try {
        return {
          workload,
          container,
          process: containerProcess(model.root, container, model.image, model.configMaps),
        }
      } catch (err) {
        return { workload, container, problem: (err as Error).message }
      }
    }),
  )
}

/** `Deployment/servicea container servicea (base/servicea.yaml)`. */
export const containerName = (c: PodContainer): string =>
  `${c.workload.object.kind}/${c.workload.object.metadata.name} container ${c.container.name} (${c.workload.file})`
