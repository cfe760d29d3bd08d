import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '@jwt-factory/server'
import { createFactoryApp } from './app.ts'
import { loadConfig } from './config.ts'
import { FileKeyStore } from './keys/file-key-store.ts'

/** A factory app on a fresh temporary keys folder, for tests through `app.request()`. */
export async function createTestFactory(env: Record<string, string> = {}, now?: () => Date) {
  const keysDir = await mkdtemp(join(tmpdir(), 'jwt-factory-keys-'))
  const config = loadConfig({ KEYS_DIR: keysDir, LOG_LEVEL: 'silent', ...env }, process.cwd())
  const logger = silentLogger()
  const keyStore = await FileKeyStore.open({ dir: keysDir, algorithm: config.algorithm, logger })
  const app = createFactoryApp(config, { keyStore, logger, ...(now ? { now } : {}) })
  return { app, config, keyStore, keysDir, cleanup: () => rm(keysDir, { recursive: true, force: true }) }
}

export const jsonPost = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
})
