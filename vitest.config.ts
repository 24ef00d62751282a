import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const src = (pkg: string) =>
  fileURLToPath(new URL(`./packages/${pkg}/src/index.ts`, import.meta.url))

// Tests run against the TypeScript sources; the packages' `exports` point at `dist` for users.
export default defineConfig({
  resolve: {
    alias: {
      '@tokendesk/core': src('core'),
      '@tokendesk/storage': src('storage'),
      '@tokendesk/server': src('server'),
      '@tokendesk/client': src('sdk'),
    },
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
