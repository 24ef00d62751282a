#!/usr/bin/env node
// The `tokendesk` command that npm links into node_modules/.bin. npm links a bin at install
// time only if its file exists, and on a fresh clone `dist/` is built later (by `prepare`,
// tsc -b), so the bin is this committed file and the command itself is dist/main.js.
import { existsSync } from 'node:fs'

const main = new URL('../dist/main.js', import.meta.url)
if (existsSync(main)) {
  await import(main.href)
} else {
  process.stderr.write('tokendesk: the CLI is not built yet: run `npm run build` first\n')
  process.exitCode = 1
}
