import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { beforeAll } from 'vitest'
import * as built from '../dist/index.js'
import { describeClient, type SdkModule } from './cases.js'

const DIST = fileURLToPath(new URL('../dist/index.js', import.meta.url))

beforeAll(() => {
  if (!existsSync(DIST)) throw new Error(`${DIST} is missing: build first (npm test runs tsc -b)`)
})

// The built package, what users install (`exports` → dist/index.js), against the real server.
// Its classes carry #private fields, so TypeScript sees them as other types than the sources'.
describeClient('dist', built as unknown as SdkModule)
