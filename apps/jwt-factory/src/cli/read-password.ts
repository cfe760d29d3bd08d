import { CliError } from './cli-error.ts'

export interface PasswordInput {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown }
  stderr: NodeJS.WritableStream
}

/**
 * From a terminal: prompts on stderr and reads without echo (raw mode), twice to catch a typo.
 * Otherwise (a pipe, a file, a test): the first line of stdin, so scripts can set passwords.
 */
export async function readNewPassword(
  name: string,
  io: PasswordInput,
  what: 'password' | 'secret' = 'password',
): Promise<string> {
  if (!io.stdin.isTTY || !io.stdin.setRawMode) return readFirstLine(io.stdin, what)
  const first = await promptHidden(`New ${what} for ${name}: `, io)
  const again = await promptHidden('Repeat it: ', io)
  if (first !== again) throw new CliError(`the two ${what}s differ; nothing changed`)
  return first
}

function promptHidden(prompt: string, { stdin, stderr }: PasswordInput): Promise<string> {
  // Raw mode before the prompt: whatever is typed once the prompt shows is never echoed.
  stdin.setRawMode!(true)
  stdin.setEncoding('utf8')
  stdin.resume()
  stderr.write(prompt)
  return new Promise((resolve, reject) => {
    let value = ''
    const finish = (err?: Error) => {
      stdin.off('data', onData)
      stdin.setRawMode!(false)
      stdin.pause()
      stderr.write('\n')
      if (err) reject(err)
      else resolve(value)
    }
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === '\r' || ch === '\n') return finish()
        const cancelled = ch === '\u0003' || (ch === '\u0004' && value === '') // Ctrl-C, Ctrl-D
        if (cancelled) return finish(new CliError('cancelled; nothing changed'))
        if (ch === '\u0004') return finish()
        if (ch === '\u007f' || ch === '\b') value = [...value].slice(0, -1).join('')
        else if (ch >= ' ') value += ch
      }
    }
    stdin.on('data', onData)
  })
}

/** The first line (without its line break), then stdin is let go so the process can exit. */
function readFirstLine(stdin: PasswordInput['stdin'], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = ''
    const finish = () => {
      stdin.off('data', onData)
      stdin.off('end', finish)
      stdin.off('error', reject)
      ;(stdin as Partial<{ destroy(): void }>).destroy?.()
      const line = text.split(/\r?\n/, 1)[0] ?? ''
      if (line === '') reject(new CliError(`no ${what} on stdin (give it as the first line)`))
      else resolve(line)
    }
    const onData = (chunk: string | Buffer) => {
      text += String(chunk)
      if (text.includes('\n')) finish()
    }
    stdin.setEncoding('utf8')
    stdin.on('data', onData)
    stdin.once('end', finish)
    stdin.once('error', reject)
  })
}
