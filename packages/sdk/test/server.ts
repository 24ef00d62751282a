import type { AddressInfo } from 'node:net'
import Database from 'better-sqlite3'
import {
  ADMIN,
  createTestApp,
  GENEROUS_RATE_LIMIT,
  type TestApp,
  type TestAppOptions,
} from '../../server/test/helpers.js'

export { base32Secret, type TestApp } from '../../server/test/helpers.js'

/**
 * The real server (the server's own test app over a SQLite file) listening on a loopback port.
 * Its key files name `http://tokendesk.test:8080/AdminInterface/restapi/` (the JWT audience);
 * `baseUrl` is where it really listens, as a client behind a tunnel would be told.
 */
export interface ListeningApp extends TestApp {
  baseUrl: string
}

export const listen = async (options: TestAppOptions = {}): Promise<ListeningApp> => {
  const t = await createTestApp({ rateLimit: GENEROUS_RATE_LIMIT, ...options })
  await t.app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = t.app.server.address() as AddressInfo
  return Object.assign(t, { baseUrl: `http://127.0.0.1:${port}${ADMIN}/` })
}

export type Method = 'TOKEN' | 'SMS' | 'VOICE' | 'SECURID' | 'EMERGENCY_TOKENCODE'

/**
 * Locks methods the way failed verifications do: a row per method in `method_locks` (as the
 * server's own unlock tests arrange it).
 */
export const lockMethods = (t: TestApp, userId: string, methods: readonly Method[]): void => {
  const db = new Database(t.databaseFile, { fileMustExist: true })
  try {
    const insert = db.prepare(
      `insert into method_locks (company_id, user_id, method, failed_count, locked_at, last_failure_at)
       values (?, ?, ?, ?, ?, ?)`,
    )
    const now = Date.now()
    for (const method of methods) insert.run(t.company.id, userId, method, 3, now, now)
  } finally {
    db.close()
  }
}
