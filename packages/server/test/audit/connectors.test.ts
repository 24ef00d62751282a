/**
 * The paging loops of the SIEM connectors that already read RSA's exports
 * (rsa-authn-and-logs.md §2.4, §2.8), replayed over 250 events: each must see every event
 * exactly once. Events come in groups of three sharing a millisecond, so page boundaries fall
 * inside groups.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { manualClock, type TestApp, useSharedTestApp } from '../helpers.js'
import { ADMIN_LOG, adminEvent, appendAll, get, USER_LOG, userEvent } from './audit-helpers.js'

const NOW = Date.UTC(2026, 10, 23, 10, 0, 0, 45)
const HOUR = 3_600_000
const START = NOW - HOUR
const at = (i: number) => START + Math.floor(i / 3) * 1000 + 7

interface Entry {
  eventId: number
  eventLogDate: string
}
interface Page {
  totalPages: number
  totalElements: number
  currentPage: number
  entries: Entry[]
}

const LOGS = [
  { name: 'admin log', path: ADMIN_LOG, key: 'elements', endpoint: 'adminlog' },
  {
    name: 'user event log',
    path: USER_LOG,
    key: 'userEventLogExportEntries',
    endpoint: 'usereventlog',
  },
] as const
type Log = (typeof LOGS)[number]

const fetchPage = async (t: TestApp, log: Log, url: string): Promise<Page> => {
  const response = await get(t, url)
  expect(response.statusCode, url).toBe(200)
  const body = response.json()
  return { ...body, entries: body[log.key] }
}

/** syslog-ng's timestamps: `str(int(ms))` (not zero-padded) and a fixed `-00:00`. */
const syslogTime = (ms: number): string => {
  const d = new Date(ms)
  return `${d.toISOString().slice(0, 19)}.${d.getUTCMilliseconds()}-00:00`
}

/** rsa-ingo's `yyyy-MM-dd'T'HH:mm:ss.SSSXXX` in a +02:00 zone, URL-encoded. */
const javaTime = (ms: number): string =>
  encodeURIComponent(`${new Date(ms + 2 * HOUR).toISOString().slice(0, 23)}+02:00`)

/** novasoc/syslogng-drivers rsa.py: first page without pageNumber, then `current_page += 1`. */
const syslogNg = async (t: TestApp, log: Log): Promise<Entry[]> => {
  const base = `${log.path}?startTimeAfter=${syslogTime(START - HOUR)}&endTimeOnOrBefore=${syslogTime(NOW)}&pageSize=100`
  const first = await fetchPage(t, log, base)
  const seen = [...first.entries]
  let currentPage = first.currentPage
  const totalPages = first.totalPages
  while (currentPage < totalPages) {
    currentPage += 1 // reaches totalPages: one past the end, which must be 200 and empty
    seen.push(...(await fetchPage(t, log, `${base}&pageNumber=${currentPage}`)).entries)
  }
  return seen
}

/**
 * The Splunk add-on: `startTimeAfter` fixed across the pages of a run (no end, no pageSize),
 * `adminRestApiUrl + "/v1/…"` (a double slash), checkpoint = the last event's eventLogDate.
 */
const splunkRun = async (
  t: TestApp,
  log: Log,
  checkpoint: string,
): Promise<{ seen: Entry[]; checkpoint: string }> => {
  const seen: Entry[] = []
  let page = 0
  let totalPages = 1
  while (page < totalPages) {
    const data = await fetchPage(
      t,
      log,
      `/AdminInterface/restapi//v1/${log.endpoint}/exportlogs?startTimeAfter=${checkpoint}&pageNumber=${page}`,
    )
    totalPages = data.totalPages
    if (data.totalElements === 0) break
    seen.push(...data.entries)
    page += 1
  }
  return { seen, checkpoint: seen.at(-1)?.eventLogDate ?? checkpoint }
}

/** rsa-ingo's IDPlusAdminAPI: pages 0 … totalPages-1, every parameter URL-encoded. */
const javaClient = async (t: TestApp, log: Log): Promise<Entry[]> => {
  const base = `${log.path}?pageSize=100&startTimeAfter=${javaTime(START - HOUR)}&endTimeOnOrBefore=${javaTime(NOW)}`
  const first = await fetchPage(t, log, `${base}&pageNumber=0`)
  const seen = [...first.entries]
  for (let page = 1; page < first.totalPages; page += 1) {
    seen.push(...(await fetchPage(t, log, `${base}&pageNumber=${page}`)).entries)
  }
  return seen
}

/** RSA's SE tool (the RSA SDK loop): first call without pageNumber, then 1 … totalPages-1. */
const rsaSdk = async (t: TestApp, log: Log): Promise<Entry[]> => {
  const base = `${log.path}?startTimeAfter=${new Date(START - HOUR).toISOString()}&endTimeOnOrBefore=${new Date(NOW).toISOString()}`
  const first = await fetchPage(t, log, base)
  const seen = [...first.entries]
  for (let page = 1; page < first.totalPages; page += 1) {
    seen.push(...(await fetchPage(t, log, `${base}&pageNumber=${page}`)).entries)
  }
  return seen
}

const expectExactlyOnce = (seen: readonly Entry[], expected: readonly number[]) => {
  const ids = seen.map((e) => e.eventId)
  expect(ids).toHaveLength(expected.length)
  expect(new Set(ids).size).toBe(ids.length)
  expect([...ids].sort((a, b) => a - b)).toEqual([...expected].sort((a, b) => a - b))
  // Ascending by time.
  const times = seen.map((e) => Date.parse(e.eventLogDate))
  expect(times).toEqual([...times].sort((a, b) => a - b))
}

describe.each(LOGS)('connectors over 250 events of the $name', (log) => {
  const clock = manualClock(NOW)
  const shared = useSharedTestApp({ clock })
  let expected: number[] = []

  beforeAll(async () => {
    const t = shared()
    const make = log.key === 'elements' ? adminEvent : userEvent
    // The admin log also holds the test company's own set-up events (at NOW).
    const before: number = (await get(t, log.path)).json().totalElements
    await appendAll(
      t,
      Array.from({ length: 250 }, (_, i) => make(t.company.id, at(i), { details: { i } })),
    )
    const total: number = (await get(t, log.path)).json().totalElements
    expect(total).toBe(before + 250)
    expected = []
    for (let page = 0; page * 100 < total; page += 1) {
      const body = (await get(t, `${log.path}?pageSize=100&pageNumber=${page}`)).json()
      expected.push(...body[log.key].map((e: Entry) => e.eventId))
    }
  })

  it('syslog-ng, including its request for the page one past the end', async () => {
    const seen = await syslogNg(shared(), log)
    expectExactlyOnce(seen, expected)
  })

  it('the Java client (rsa-ingo), pages 0 … totalPages-1', async () => {
    expectExactlyOnce(await javaClient(shared(), log), expected)
  })

  it("RSA's SDK loop, first page without pageNumber", async () => {
    expectExactlyOnce(await rsaSdk(shared(), log), expected)
  })

  it('Splunk, run after run from its eventLogDate checkpoint, never re-reading the last event', async () => {
    const t = shared()
    const first = await splunkRun(t, log, '2024-01-05T10:20:30.000z')
    expectExactlyOnce(first.seen, expected)
    // Nothing new: the checkpoint event is not read again (startTimeAfter is exclusive).
    const idle = await splunkRun(t, log, first.checkpoint)
    expect(idle.seen).toEqual([])
    expect(idle.checkpoint).toBe(first.checkpoint)
    // Later events: the next run reads exactly those.
    clock.set(NOW + HOUR)
    const make = log.key === 'elements' ? adminEvent : userEvent
    const later = Array.from({ length: 130 }, (_, i) =>
      make(t.company.id, NOW + 1000 + Math.floor(i / 3), { details: { later: i } }),
    )
    await appendAll(t, later)
    const next = await splunkRun(t, log, first.checkpoint)
    expect(next.seen).toHaveLength(130)
    expect(new Set([...first.seen, ...next.seen].map((e) => e.eventId)).size).toBe(
      expected.length + 130,
    )
    clock.set(NOW)
  })
})
