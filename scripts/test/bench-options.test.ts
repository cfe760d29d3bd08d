import { describe, expect, it } from 'vitest'
import { parseBenchOptions, USAGE, UsageError } from '../bench/options.ts'

/** `npm run bench`'s command line: what it runs, and the one message for what it cannot run. */
describe('npm run bench options', () => {
  it('runs every row on the files, ES256, 32 connections, 5 s, when given nothing', () => {
    const options = parseBenchOptions([])!
    expect(options.store).toBe('files')
    expect(options).toMatchObject({ durationSeconds: 5, connections: 32, algorithm: 'ES256' })
    expect(options.rows.has('issue')).toBe(true)
    expect(options.rows.has('console')).toBe(true)
  })

  it('--store etcd with the factory group: issuing, verifying, the JWKS and rotating on etcd', () => {
    const options = parseBenchOptions(['--only', 'factory', '--store', 'etcd', '--duration', '2'])!
    expect(options.store).toBe('etcd')
    expect([...options.rows]).toEqual(['issue', 'verify', 'jwks', 'rotate'])
    expect(options.durationSeconds).toBe(2)
  })

  it('refuses a store it does not know, naming the ones it does, with every other problem', () => {
    const attempt = () => parseBenchOptions(['--store', 'consul', '--connections', '0'])
    expect(attempt).toThrow(UsageError)
    expect(attempt).toThrow(/--store must be one of files, etcd, got consul/)
    expect(attempt).toThrow(/--connections must be a whole number/)
  })

  it('refuses --store without a value, and says --store in its help', () => {
    expect(() => parseBenchOptions(['--store'])).toThrow(UsageError)
    expect(parseBenchOptions(['--help'])).toBeUndefined()
    expect(USAGE).toMatch(/--store <store>\s+files \| etcd \(default files\)/)
  })

  it('--workers: the factory with 1, then 2 workers by default; a list of its own; refused out of range or twice', () => {
    expect(parseBenchOptions([])!.workers).toEqual([1, 2])
    expect(parseBenchOptions(['--workers', '2'])!.workers).toEqual([2])
    expect(parseBenchOptions(['--workers', '1, 4'])!.workers).toEqual([1, 4])
    expect(() => parseBenchOptions(['--workers', '0'])).toThrow(/--workers must be whole numbers/)
    expect(() => parseBenchOptions(['--workers', '1,x'])).toThrow(/--workers must be whole numbers/)
    expect(() => parseBenchOptions(['--workers', '2,2'])).toThrow(/--workers names a number twice/)
  })
})
