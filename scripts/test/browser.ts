import { chromium, type Browser } from 'playwright-core'

/** Debian's chromium (`apt-get install chromium`; .ci/run installs it); never a downloaded one. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * Headless chromium for the console's tests and the bench. Background networking, updates and
 * sync are off: this machine's network is closed, and a test must not wait on lookups that fail.
 * As root, chromium needs --no-sandbox.
 */
export function launchBrowser(): Promise<Browser> {
  const asRoot = process.getuid?.() === 0
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      ...(asRoot ? ['--no-sandbox'] : []),
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  })
}
