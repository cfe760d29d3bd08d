import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ConfigError, readEnvFile } from '@jwt-factory/config'
import { createLogger, listen, ListenError, onShutdownSignal } from '@jwt-factory/server'
import { createHttpClient } from '@jwt-factory/http-client'
import { loadClientCertificate, loadTlsFiles } from '@jwt-factory/tls'
import { createServiceApp } from './app.ts'
import { loadConfig, SERVICE_NAMES } from './config.ts'
import { readClientSecret } from './peers/client-secret.ts'
import { Scenario3Keys } from './scenarios/scenario3-keys.ts'

/**
 * The only file with side effects. `tsx src/main.ts servicea` reads apps/service/.servicea.env,
 * validates it, and serves HTTP and HTTPS until SIGTERM or SIGINT.
 */
const appDir = fileURLToPath(new URL('..', import.meta.url))

async function main(): Promise<void> {
  const name = process.argv[2] ?? process.env.SERVICE_NAME
  if (!SERVICE_NAMES.includes(name as never)) {
    throw new ConfigError('the command line', [
      `service name must be one of ${SERVICE_NAMES.join(', ')} (got ${JSON.stringify(name)})`,
    ])
  }
  const envFile = `.${name}.env`
  const env = readEnvFile(join(appDir, envFile))
  // The argument names the service; a SERVICE_NAME set to another would run it as that one.
  if (env.SERVICE_NAME !== undefined && env.SERVICE_NAME !== '' && env.SERVICE_NAME !== name) {
    throw new ConfigError(`apps/service/${envFile}`, [
      `SERVICE_NAME: ${JSON.stringify(env.SERVICE_NAME)} is not the service the command line names (${name})`,
    ])
  }
  const config = loadConfig({ ...env, SERVICE_NAME: name }, appDir, `apps/service/${envFile}`)
  const logger = createLogger({
    name: config.name,
    level: config.logLevel,
    format: config.logFormat,
  })
  const tls = await loadTlsFiles(config.certsDir)
  // Its own client certificate (CN = its name): how it proves to a factory exposed beyond
  // loopback that it is this service. A loopback factory does not ask for it.
  const clientCert = await loadClientCertificate(config.certsDir, config.name)
  if (!clientCert)
    logger.warn(
      `no client certificate ${config.name}.pem in ${config.certsDir} (run \`npm run certs\`): a factory beyond loopback will refuse to issue its tokens`,
    )
  // A peer's port inside the mesh is plain HTTP: the sidecars carry it in their mutual TLS.
  const meshOrigins = Object.values(config.meshPeers).flatMap((url) =>
    url ? [new URL(url).origin] : [],
  )
  const http = createHttpClient({
    caPem: tls.caPem,
    timeoutMs: config.hopTimeoutMs,
    ...(clientCert ? { clientCert } : {}),
    plainHttpOrigins: meshOrigins,
  })
  const scenario3 = await Scenario3Keys.open({
    ...config.scenario3,
    dir: config.scenario3.keysDir,
    logger,
    signer: config.name === 'servicea',
    reloadCooldownMs: config.keysReloadCooldownMs,
  })
  const clientSecret = await readClientSecret(config.clientSecretFile, config.name, logger)
  const app = createServiceApp(config, {
    http,
    logger,
    scenario3,
    ...(clientSecret ? { clientSecret } : {}),
  })

  const servers = [
    await listen({
      name: `${config.name} http`,
      fetch: app.fetch,
      hostname: config.host,
      port: config.httpPort,
    }),
  ]
  try {
    servers.push(
      await listen({
        name: `${config.name} https`,
        fetch: app.fetch,
        hostname: config.host,
        port: config.httpsPort,
        tls: { key: tls.keyPem, cert: tls.certPem },
      }),
    )
  } catch (err) {
    await servers[0]?.close(0)
    throw err
  }
  logger.info(
    { urls: servers.map((s) => s.url).join(' ') },
    `${config.name} listening on ${servers.map((s) => s.url).join(' and ')}`,
  )
  onShutdownSignal(logger, async () => {
    logger.info(`${config.name} stopping`)
    await Promise.all(servers.map((s) => s.close()))
    await http.close()
    logger.flush()
  })
}

main().catch((err: unknown) => {
  const name = process.argv[2] ?? 'service'
  if (err instanceof ConfigError || err instanceof ListenError)
    console.error(`${name}: ${err.message}`)
  else console.error(`${name} failed to start:`, err instanceof Error ? err.message : err)
  process.exit(1)
})
