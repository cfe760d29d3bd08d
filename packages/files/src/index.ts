export {
  writeFileAtomic,
  ensureDirectory,
  syncDirectory,
  isAtomicTempFile,
  type WriteFileAtomicOptions,
} from './atomic-file.ts'
