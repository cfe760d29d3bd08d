import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { readEnvFile } from '@jwt-factory/config'
import { generateSigningKey } from '@jwt-factory/jwt'
import {
  type CertificateAndKey,
  CERTIFICATE_FILE_NAMES,
  createCertificateAuthority,
  issueClientCertificate,
  issueServerCertificate,
} from '@jwt-factory/tls'
import { adminTokenSchema } from '../../apps/jwt-factory/src/exposure/admin-token.ts'
import { loadConfig, SERVICE_NAMES } from '../../apps/service/src/config.ts'
import {
  SCENARIO3_PRIVATE_FILE,
  SCENARIO3_PUBLIC_FILE,
} from '../../apps/service/src/scenarios/scenario3-keys.ts'
import { etcdHosts, inClusterHosts } from './cluster-names.ts'
import { FACTORY, serviceApp } from './deployed-apps.ts'

/** Each Secret of deploy/kustomization.yaml's secretGenerator: its files, by name, and content. */
export type SecretFiles = Record<string, Record<string, string>>

const { ca: CA_FILE, server: SERVER_FILE, serverKey: SERVER_KEY_FILE } = CERTIFICATE_FILE_NAMES

/** The file of each `<service>-client-secret` Secret, mounted at the service's CLIENT_SECRET_FILE. */
export const CLIENT_SECRET_FILE_NAME = 'client-secret'

/** The Secret holding one service's OAuth client secret (scenario 6's token exchanges). */
export const clientSecretName = (service: string) => `${service}-client-secret`

/**
 * Every Secret the manifests mount, made afresh: a new CA and the certificates it signs for the
 * in-cluster names, the key-encryption key the factory replicas share, the admin token, each
 * service's OAuth client secret (the Job jwt-factory-demo-clients registers it at the factory),
 * and servicea's scenario-3 key pair. The CA's private key is used here and never written: nothing in
 * the cluster issues certificates, and `prepare --force` makes a whole new set.
 */
export async function makeSecretFiles(root: string): Promise<SecretFiles> {
  const ca = await createCertificateAuthority()
  const serverFiles = async (hosts: string[]) => {
    const server = await issueServerCertificate(ca, { hosts })
    return {
      [CA_FILE]: ca.certPem,
      [SERVER_FILE]: server.certPem,
      [SERVER_KEY_FILE]: server.keyPem,
    }
  }
  const etcdClient = await issueClientCertificate(ca, { commonName: FACTORY.name })
  const secrets: SecretFiles = {
    'jwt-factory-certs': await serverFiles(inClusterHosts(FACTORY.name)),
    'jwt-factory-etcd-client': {
      [CA_FILE]: ca.certPem,
      'client.pem': etcdClient.certPem,
      'client-key.pem': etcdClient.keyPem,
    },
    'jwt-factory-kek': { 'store.kek': `${randomBytes(32).toString('base64')}\n` },
    'jwt-factory-admin': { 'admin-token': `${newAdminToken()}\n` },
    'etcd-tls': await serverFiles(etcdHosts()),
  }
  for (const name of SERVICE_NAMES) {
    // CN = the service's name: how the factory knows, by mutual TLS, whose tokens it may issue.
    const client = await issueClientCertificate(ca, { commonName: name })
    secrets[`${name}-certs`] = {
      ...(await serverFiles(inClusterHosts(name))),
      ...clientFiles(name, client),
    }
    // 256 bits, as npm start makes the demo clients' secrets: nothing anybody types or guesses.
    secrets[clientSecretName(name)] = {
      [CLIENT_SECRET_FILE_NAME]: `${randomBytes(32).toString('base64url')}\n`,
    }
  }
  const scenario3 = await generateSigningKey(scenario3Algorithm(root))
  secrets['servicea-scenario3'] = {
    [SCENARIO3_PRIVATE_FILE]: scenario3.privatePem,
    [SCENARIO3_PUBLIC_FILE]: scenario3.publicPem,
  }
  secrets['scenario3-public'] = { [SCENARIO3_PUBLIC_FILE]: scenario3.publicPem }
  return secrets
}

/** `<name>.pem` and `<name>-key.pem`, as the service looks for them in CERTS_DIR. */
function clientFiles(name: string, client: CertificateAndKey): Record<string, string> {
  return { [`${name}.pem`]: client.certPem, [`${name}-key.pem`]: client.keyPem }
}

/** 32 random bytes, base64url: 43 characters, a valid ADMIN_TOKEN by the factory's own rule. */
function newAdminToken(): string {
  return adminTokenSchema.parse(randomBytes(32).toString('base64url'))
}

/** The algorithm servicea's committed configuration asks for its scenario-3 keys. */
function scenario3Algorithm(root: string) {
  const app = serviceApp('servicea')
  const env = readEnvFile(join(root, app.envFile), {})
  return loadConfig(env, join(root, 'apps/service'), app.envFile).scenario3.algorithm
}
