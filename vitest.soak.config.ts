import { defineConfig } from 'vitest/config'
import base from './vitest.config.js'

// `npm run soak`: the long load tests (`*.soak.ts`), never part of `npm test` or CI. They drive
// the built CLI (`tsc -b` first); the aliases (from the main config) matter only for the helpers
// they import.
export default defineConfig({
  ...(base.resolve && { resolve: base.resolve }),
  test: {
    include: ['packages/*/test/**/*.soak.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // One soak at a time: each wants the whole machine.
    fileParallelism: false,
  },
})
