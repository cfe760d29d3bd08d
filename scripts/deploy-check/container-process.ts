import { basename, join } from 'node:path'
import { loadConfig as loadFactoryConfig } from '@jwt-factory/factory'
import { loadConfig as loadServiceConfig, SERVICE_NAMES } from '@jwt-factory/service'
import { APP_BUNDLES } from '../build/bundle-apps.ts'
import { containerArgv, type ImageCommand } from './image-command.ts'
import type { Container } from './kube-objects.ts'

/** One socket a process listens on. */
export interface Listener {
  port: number
  scheme: 'HTTP' | 'HTTPS'
  host: string
}

/** What a container runs, as far as its listeners and its role in the product go. */
export interface ContainerProcess {
  /** jwt-factory, servicea…, etcd. */
  role: string
  listeners: Listener[]
  /** The app's own configuration, for the project's apps (the factory's issuers, say). */
  factory?: ReturnType<typeof loadFactoryConfig>
  service?: ReturnType<typeof loadServiceConfig>
}

/** The project's own image and what it runs by default (the Dockerfile's CMD). */
export interface ProjectImage {
  /** The image name the manifests use (kustomization.yaml's `images:` rewrites it). */
  names: Set<string>
  command: ImageCommand
}

/**
 * What a container's process is and where it listens, worked out the way the process itself
 * would: the project's apps load their configuration with their own `loadConfig` from the
 * environment the pod gives them (the image holds no .env file): its ConfigMaps, under the
 * variables the manifest sets. A configuration the app would refuse throws its ConfigError.
 */
export function containerProcess(
  root: string,
  container: Container,
  image: ProjectImage,
  configMaps: Map<string, Record<string, string>>,
): ContainerProcess {
  const ours = image.names.has(imageName(container.image))
  const argv = containerArgv(
    ours ? image.command : { entrypoint: [], cmd: [] },
    container.command,
    container.args,
  )
  const env = podEnv(container, configMaps)
  const factoryAt = argv.indexOf(APP_BUNDLES['jwt-factory'].outfile)
  const serviceAt = argv.indexOf(APP_BUNDLES.service.outfile)
  if (ours && factoryAt > 0) {
    const appDir = join(root, 'apps/jwt-factory')
    const factory = loadFactoryConfig(env, appDir)
    return {
      role: 'jwt-factory',
      factory,
      listeners: [
        { port: factory.port, scheme: 'HTTP', host: factory.host },
        { port: factory.httpsPort, scheme: 'HTTPS', host: factory.host },
      ],
    }
  }
  if (ours && serviceAt > 0) {
    const name = argv[serviceAt + 1] ?? env.SERVICE_NAME
    if (!SERVICE_NAMES.includes(name as never)) {
      throw new Error(`runs the service app without a service name (got ${JSON.stringify(name)})`)
    }
    const appDir = join(root, 'apps/service')
    // As main.ts does: the argument names the service, and a SERVICE_NAME naming another stops it.
    if (env.SERVICE_NAME !== undefined && env.SERVICE_NAME !== '' && env.SERVICE_NAME !== name) {
      throw new Error(
        `runs ${name} with SERVICE_NAME ${env.SERVICE_NAME}: the service refuses to start`,
      )
    }
    const service = loadServiceConfig(
      { ...env, SERVICE_NAME: name },
      appDir,
      `the environment of ${container.name}`,
    )
    return {
      role: service.name,
      service,
      listeners: [
        { port: service.httpPort, scheme: 'HTTP', host: service.host },
        { port: service.httpsPort, scheme: 'HTTPS', host: service.host },
      ],
    }
  }
  if (argv.length > 0 && basename(argv[0]!) === 'etcd') {
    return { role: 'etcd', listeners: etcdListeners(argv) }
  }
  throw new Error(`runs ${JSON.stringify(argv)}: not a process these checks know`)
}

/** The image's name without its tag or digest. */
export const imageName = (image: string | undefined): string =>
  (image ?? '').replace(/[:@][^/]*$/, '')

/**
 * The variables the pod gives the process: `envFrom` ConfigMaps in order, then `env` by value,
 * which wins. A value from a Secret or the pod's fields is not known offline and is left out.
 */
export function podEnv(
  container: Container,
  configMaps: Map<string, Record<string, string>>,
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const from of container.envFrom ?? []) {
    const name = from.configMapRef?.name
    if (name === undefined) continue
    const values = configMaps.get(name)
    if (values === undefined)
      throw new Error(`envFrom names ConfigMap ${name}, which is not generated`)
    Object.assign(env, values)
  }
  for (const v of container.env ?? []) if (v.value !== undefined) env[v.name] = v.value
  return env
}

/** etcd's client, peer and metrics URLs, from its flags (etcd's defaults when absent). */
function etcdListeners(argv: string[]): Listener[] {
  const flag = (name: string, fallback: string): string => {
    const at = argv.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`))
    if (at < 0) return fallback
    return argv[at]!.includes('=')
      ? argv[at]!.slice(argv[at]!.indexOf('=') + 1)
      : (argv[at + 1] ?? '')
  }
  const urls = [
    flag('listen-client-urls', 'http://localhost:2379'),
    flag('listen-peer-urls', 'http://localhost:2380'),
    flag('listen-metrics-urls', ''),
  ]
  return urls
    .flatMap((list) => list.split(','))
    .filter((u) => u !== '')
    .map((u) => new URL(u))
    .map((u) => ({
      port: Number(u.port),
      scheme: u.protocol === 'https:' ? 'HTTPS' : 'HTTP',
      host: u.hostname,
    }))
}
