/**
 * A Dockerfile read into its stages and instructions, enough to replay what the image's last
 * stage contains (scripts/image/layout.ts). Not a full parser: what it does not understand it
 * refuses, so a Dockerfile it cannot replay fails the layout test instead of being misread.
 */
export interface Instruction {
  /** Upper case: FROM, COPY, RUN… */
  keyword: string
  /** The rest of the logical line, continuations joined. */
  args: string
  /** The 1-based line it starts on, for messages. */
  line: number
}

export interface Stage {
  /** The `AS` name, else the stage's index as a string (what `--from=` accepts). */
  name: string
  image: string
  instructions: Instruction[]
}

export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = []
  for (const instruction of logicalLines(text)) {
    if (instruction.keyword === 'FROM') {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(instruction.args)
      if (!match) throw dockerfileError(instruction, 'a FROM this reader does not understand')
      const name = match[2] ?? String(stages.length)
      stages.push({ name, image: match[1]!, instructions: [] })
    } else if (instruction.keyword !== 'ARG' || stages.length > 0) {
      const stage = stages.at(-1)
      if (!stage) throw dockerfileError(instruction, 'an instruction before the first FROM')
      stage.instructions.push(instruction)
    }
  }
  if (stages.length === 0) throw new Error('Dockerfile: no FROM')
  return stages
}

export function dockerfileError(instruction: Instruction, why: string): Error {
  return new Error(`Dockerfile line ${instruction.line} (${instruction.keyword}): ${why}`)
}

/**
 * Comments and parser directives dropped, `\` continuations joined (comment lines inside a
 * continuation too, as Docker does). Heredocs are refused: their bodies would be read as
 * instructions.
 */
function* logicalLines(text: string): Generator<Instruction> {
  const lines = text.split(/\r?\n/)
  let parts: string[] = []
  let start = 0
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim()
    if (line.startsWith('#') || (line === '' && parts.length === 0)) continue
    if (parts.length === 0) start = index + 1
    const continued = line.endsWith('\\')
    parts.push(continued ? line.slice(0, -1).trim() : line)
    if (continued && index < lines.length - 1) continue
    const joined = parts.filter((p) => p !== '').join(' ')
    parts = []
    const match = /^(\S+)\s*(.*)$/.exec(joined)
    if (!match) continue
    const instruction = { keyword: match[1]!.toUpperCase(), args: match[2]!, line: start }
    if (/<<-?["']?\w/.test(instruction.args)) throw dockerfileError(instruction, 'a heredoc')
    yield instruction
  }
}

/** The exec form (`["node", "x.js"]`) of CMD, ENTRYPOINT or RUN; undefined for the shell form. */
export function execForm(instruction: Instruction): string[] | undefined {
  if (!instruction.args.startsWith('[')) return undefined
  const parsed: unknown = JSON.parse(instruction.args)
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string'))
    throw dockerfileError(instruction, 'an exec form that is not a JSON array of strings')
  return parsed
}

/**
 * Leading `--name=value` flags and the words after them. Words are split on white space; a
 * quote or a variable is refused rather than guessed at.
 */
export function flagsAndWords(instruction: Instruction): {
  flags: Map<string, string>
  words: string[]
} {
  const json = execForm(instruction)
  const all = json ?? instruction.args.split(/\s+/).filter((w) => w !== '')
  const flags = new Map<string, string>()
  let i = 0
  for (; i < all.length && all[i]!.startsWith('--'); i++) {
    const [name, value = ''] = all[i]!.slice(2).split(/=(.*)/s)
    flags.set(name!, value)
  }
  const words = all.slice(i)
  if (!json && words.some((w) => /["'$]/.test(w)))
    throw dockerfileError(instruction, 'quotes or variables, which this reader does not expand')
  return { flags, words }
}
