import { SERVICE_NAMES, type ServiceName } from '../../apps/service/src/config.ts'

/** One app as deploy/ runs it: its committed .env, and what its Deployment sets itself. */
export interface DeployedApp {
  /** Its Deployment, Service and ConfigMap's prefix (`<name>-env`). */
  name: string
  /** The committed .env file, relative to the checkout. */
  envFile: string
  /**
   * Variables the Deployment's `env:` sets (deploy/base/<name>.yaml): left out of the ConfigMap,
   * so each has one place, and the committed loopback values cannot reach the cluster.
   */
  setByDeployment: readonly string[]
}

export const FACTORY: DeployedApp = {
  name: 'jwt-factory',
  envFile: 'apps/jwt-factory/.env',
  setByDeployment: [
    'HOST',
    'PUBLIC_URL',
    'CERTS_DIR',
    'ADMIN_TOKEN_FILE',
    'STORE',
    'ETCD_ENDPOINTS',
    'ETCD_CA_FILE',
    'ETCD_CERT_FILE',
    'ETCD_KEY_FILE',
    'STORE_KEK_FILE',
    'LOG_FORMAT',
    'WORKERS',
  ],
}

const SERVICE_SET_BY_DEPLOYMENT = [
  'HOST',
  'CERTS_DIR',
  'SCENARIO3_KEYS_DIR',
  'CLIENT_SECRET_FILE',
  'FACTORY_URL',
  'SERVICEA_URL',
  'SERVICEB_URL',
  'SERVICEC_URL',
  'LOG_FORMAT',
] as const

/** The mesh variant's (?verify=mesh, docs/20): unset in every .env, set by one Deployment each. */
const MESH_SET_BY_DEPLOYMENT: Record<ServiceName, readonly string[]> = {
  servicea: ['SERVICEB_MESH_URL', 'SERVICEC_MESH_URL'],
  serviceb: ['MESH_PAYLOAD_HEADER'],
  servicec: ['MESH_PAYLOAD_HEADER'],
}

export function serviceApp(name: ServiceName): DeployedApp {
  return {
    name,
    envFile: `apps/service/.${name}.env`,
    setByDeployment: [...SERVICE_SET_BY_DEPLOYMENT, ...MESH_SET_BY_DEPLOYMENT[name]],
  }
}

export const DEPLOYED_APPS: readonly DeployedApp[] = [FACTORY, ...SERVICE_NAMES.map(serviceApp)]
