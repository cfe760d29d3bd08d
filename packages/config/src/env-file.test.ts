import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { readEnvFile } from './env-file.ts'

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'env-file-test-'))
})
afterEach(() => rm(dir, { recursive: true, force: true }))

describe('readEnvFile', () => {
  it('reads the file under the given environment, which wins, without changing process.env', async () => {
    const path = join(dir, '.env')
    await writeFile(
      path,
      'ENV_FILE_TEST_A=from-file\nENV_FILE_TEST_B=from-file\nENV_FILE_TEST_EMPTY=\n',
    )
    const env = readEnvFile(path, { ENV_FILE_TEST_B: 'from-shell' })
    expect(env).toEqual({
      ENV_FILE_TEST_A: 'from-file',
      ENV_FILE_TEST_B: 'from-shell',
      ENV_FILE_TEST_EMPTY: '',
    })
    expect(process.env.ENV_FILE_TEST_A).toBeUndefined()
  })

  it('two files read in one process do not leak into each other', async () => {
    await writeFile(join(dir, 'a.env'), 'SERVICE_NAME=servicea\n')
    await writeFile(join(dir, 'b.env'), 'SERVICE_NAME=serviceb\n')
    expect(readEnvFile(join(dir, 'a.env'), {}).SERVICE_NAME).toBe('servicea')
    expect(readEnvFile(join(dir, 'b.env'), {}).SERVICE_NAME).toBe('serviceb')
  })

  it('a missing file reads as the environment alone; a folder in its place is an error', () => {
    expect(readEnvFile(join(dir, 'missing.env'), { X: '1' })).toEqual({ X: '1' })
    expect(() => readEnvFile(dir, {})).toThrow()
  })
})
