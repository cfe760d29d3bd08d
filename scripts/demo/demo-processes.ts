import { join } from 'node:path'
import { loadConfig as loadFactoryConfig, type FactoryConfig } from '@jwt-factory/factory'
import { readEnvFile } from '@jwt-factory/config'
import {
  loadConfig as loadServiceConfig,
  SERVICE_NAMES,
  type ServiceConfig,
} from '@jwt-factory/service'
import type { AppName } from './launch.ts'

export interface DemoProcess {
  name: string
  app: AppName
  /** The app's own arguments, after its bundle. */
  appArgs: string[]
  /** Plain-HTTP health URL on loopback, polled until the process is ready. */
  healthUrl: string
  ports: number[]
}

export interface DemoPlan {
  factory: FactoryConfig
  services: ServiceConfig[]
  processes: DemoProcess[]
}

const loopback = (host: string) =>
  host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host

/** The four processes of the demo, with ports and folders read from the same .env files they use. */
export function planDemo(root: string, env: NodeJS.ProcessEnv): DemoPlan {
  const factoryDir = join(root, 'apps/jwt-factory')
  const serviceDir = join(root, 'apps/service')
  const factory = loadFactoryConfig(readEnvFile(join(factoryDir, '.env'), env), factoryDir)
  const services = SERVICE_NAMES.map((name) =>
    loadServiceConfig(
      readEnvFile(join(serviceDir, `.${name}.env`), env),
      serviceDir,
      `apps/service/.${name}.env`,
    ),
  )
  const processes: DemoProcess[] = [
    {
      name: 'jwt-factory',
      app: 'jwt-factory',
      appArgs: [],
      healthUrl: `http://${loopback(factory.host)}:${factory.port}/healthz`,
      ports: [factory.port, factory.httpsPort],
    },
    ...services.map((s): DemoProcess => ({
      name: s.name,
      app: 'service',
      appArgs: [s.name],
      healthUrl: `http://${loopback(s.host)}:${s.httpPort}/healthz`,
      ports: [s.httpPort, s.httpsPort],
    })),
  ]
  return { factory, services, processes }
}
