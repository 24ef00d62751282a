import { DEFAULT_LOG_PAGE_SIZE, DomainError, type LogExportQuery } from '@tokendesk/core'

/**
 * The query of the log exports as real clients send it (rsa-authn-and-logs.md §2.3). Every
 * value arrives as a string; a bad one is `400` in the business shape, never a 500.
 *
 * Timestamps: ISO-8601 date and time (`T` or `t`), seconds optional, 0–9 fraction digits, zone
 * `Z`/`z`, `±hh:mm`, `±hhmm`, `±hh`, ` hh:mm` (a `+` that the query string decoded to a space:
 * the Azure function app sends it raw) or none (UTC). Fractions of one or two digits are a
 * count of milliseconds: syslog-ng writes `str(int(ms))`, so its `.7` means 7 ms, and reading
 * it as 700 ms would move its window ends past "now" and lose events. Longer fractions are
 * truncated to milliseconds, which keeps both bounds exact (exclusive after, inclusive end).
 */
const TIMESTAMP =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+\- ])(\d{2})(?::?(\d{2}))?)?$/

export const parseTimestamp = (name: string, raw: string): number => {
  const bad = () =>
    new DomainError('VALIDATION_FAILED', {
      message: `${name} must be an ISO-8601 date and time, e.g. 2026-11-23T10:00:00.000Z.`,
    })
  const m = TIMESTAMP.exec(raw)
  if (!m) throw bad()
  const [, year, month, day, hour, minute, second = '0', fraction = '', , sign, zh, zm] = m
  const n = (text: string | undefined) => Number(text ?? '0')
  const ms = fraction.length <= 2 ? n(fraction) : n(fraction.slice(0, 3))
  if (n(month) < 1 || n(month) > 12 || n(hour) > 23 || n(minute) > 59 || n(second) > 59) {
    throw bad()
  }
  const local = Date.UTC(n(year), n(month) - 1, n(day), n(hour), n(minute), n(second), ms)
  // Date.UTC rolls 31 February over into March: the day must survive the round trip.
  if (new Date(local).getUTCDate() !== n(day)) throw bad()
  if (sign === undefined) return local
  if (n(zh) > 23 || n(zm) > 59) throw bad()
  const offset = (n(zh) * 60 + n(zm)) * 60_000
  return sign === '-' ? local + offset : local - offset
}

const wholeNumber = (raw: string, message: string): number => {
  if (!/^\d{1,15}$/.test(raw)) throw new DomainError('VALIDATION_FAILED', { message })
  return Number(raw)
}

/** An empty parameter (`startTimeAfter=`) counts as absent. */
const present = (value: string | undefined): value is string => value !== undefined && value !== ''

export const parseLogQuery = (query: {
  startTimeAfter?: string
  endTimeOnOrBefore?: string
  pageNumber?: string
  pageSize?: string
}): LogExportQuery => ({
  ...(present(query.startTimeAfter) && {
    startTimeAfter: parseTimestamp('startTimeAfter', query.startTimeAfter),
  }),
  ...(present(query.endTimeOnOrBefore) && {
    endTimeOnOrBefore: parseTimestamp('endTimeOnOrBefore', query.endTimeOnOrBefore),
  }),
  pageNumber: present(query.pageNumber)
    ? wholeNumber(query.pageNumber, 'pageNumber must be a whole number, 0 or more.')
    : 0,
  pageSize: present(query.pageSize)
    ? wholeNumber(query.pageSize, 'pageSize must be a whole number from 1 to 100.')
    : DEFAULT_LOG_PAGE_SIZE,
})

/**
 * Paths of the two exports, matched case-insensitively and with repeated slashes collapsed
 * (RSA's Sentinel connector spells `exportLogs`; the Splunk add-on writes `restapi//v1`).
 * Only these two paths are rewritten; every other URL reaches the router unchanged.
 */
const EXPORT_PATH = /^\/+admininterface\/+restapi\/+v1\/+(adminlog|usereventlog)\/+exportlogs$/i

export const canonicalLogExportUrl = (url: string): string => {
  const q = url.indexOf('?')
  const path = q === -1 ? url : url.slice(0, q)
  const m = EXPORT_PATH.exec(path)
  if (!m) return url
  const log = (m[1] ?? '').toLowerCase()
  return `/AdminInterface/restapi/v1/${log}/exportlogs${q === -1 ? '' : url.slice(q)}`
}
