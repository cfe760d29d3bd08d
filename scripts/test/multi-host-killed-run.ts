import { spawn } from 'node:child_process'
import { inNetns } from '../net/test-hosts-ip.ts'
import { createTestHosts, freeSubnet } from '../net/test-hosts.ts'

/**
 * A run of the test hosts for multi-host.test.ts to SIGKILL: `node --import tsx <this> <run>`
 * makes hosts named `<run>` with a client link, starts an app in one of them that will outlive
 * it, and waits (the app keeps it running) to be killed. The app shares this process's stdout:
 * it says `app <pid>` once it runs in the namespace, and its end closes the pipe.
 */
const run = process.argv[2]
const subnet = await freeSubnet()
const hosts = await createTestHosts({
  name: run,
  subnet,
  hosts: { app: subnet.address(1) },
  client: subnet.address(100),
})
const { command, args } = inNetns(hosts.netns('app'), process.execPath, [
  '-e',
  'process.stdout.write(`app ${process.pid}\\n`); setInterval(() => {}, 2 ** 30)',
])
spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] })
