import { join } from 'node:path'
import { loadConfig as loadFactoryConfig } from '@jwt-factory/factory'
import { CLI_BUNDLES } from '../../build/bundle-apps.ts'
import { imageName, podEnv } from '../container-process.ts'
import { podContainers, podOwners } from '../deploy-model.ts'
import { containerArgv } from '../image-command.ts'
import { type Container, nameOf, type PodSpec } from '../kube-objects.ts'
import { mountedSecretFile } from '../secret-mounts.ts'
import type { Rule } from './rule.ts'

const CLI_FILES: ReadonlySet<string> = new Set(Object.values(CLI_BUNDLES).map((b) => b.outfile))

/**
 * A container running one of the factory's CLIs (the Job that registers the services' OAuth
 * clients) works on the factory's own store: the same STORE, etcd endpoints and prefix as the
 * factory's Deployment, and its STORE_KEK_FILE a file of the factory's key-encryption-key Secret.
 * On any other store it would succeed where no factory looks (STORE=files on the pod's own disk),
 * and scenario 6 would then fail at the factory with nothing pointing here.
 */
export const cliContainersUseFactoryStore: Rule = (model) => {
  const factory = podContainers(model).find((c) => c.process?.factory !== undefined)
  if (factory === undefined) return ['no container runs the factory']
  const theirs = factory.process!.factory!
  const factoryKek = secretFileAt(
    factory.workload.object.spec.template.spec,
    factory.container,
    theirs.kekFile,
  )
  const problems: string[] = []
  for (const owner of podOwners(model)) {
    const pod = owner.object.spec.template.spec
    for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
      if (!model.image.names.has(imageName(c.image))) continue
      const argv = containerArgv(model.image.command, c.command, c.args)
      if (!argv.some((word) => CLI_FILES.has(word))) continue
      const where = `${nameOf(owner)} container ${c.name}`
      let ours: ReturnType<typeof loadFactoryConfig>
      try {
        ours = loadFactoryConfig(podEnv(c, model.configMaps), join(model.root, 'apps/jwt-factory'))
      } catch (err) {
        problems.push(`${where}: ${(err as Error).message}`)
        continue
      }
      const same = (what: string, a: unknown, b: unknown) => {
        if (JSON.stringify(a) !== JSON.stringify(b))
          problems.push(
            `${where}: ${what} ${JSON.stringify(a)}, the factory's ${JSON.stringify(b)}`,
          )
      }
      same('STORE', ours.store, theirs.store)
      same('etcd endpoints', ours.etcd.endpoints, theirs.etcd.endpoints)
      same('ETCD_PREFIX', ours.etcd.prefix, theirs.etcd.prefix)
      same('STORE_KEK_FILE in', secretFileAt(pod, c, ours.kekFile), factoryKek)
    }
  }
  return problems
}

/** `secret/file` for a path inside a mounted Secret, else the path itself. */
function secretFileAt(pod: PodSpec, c: Container, path: string): string {
  const found = mountedSecretFile(pod, c, path)
  return found === undefined ? path : `${found.secret}/${found.file}`
}
