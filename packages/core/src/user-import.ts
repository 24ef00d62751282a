import { DomainError } from './errors.js'
import { USER_STATUSES, type UserStatus } from './store.js'

/**
 * The file format of `POST /v1/users/import` and `tokendesk users import` (admin-api.md §9 [ext]):
 * CSV (RFC 4180, with a header row) or NDJSON (one JSON object a line), each row one user with
 * the fields of `POST /v1/users`. Parsing never stops at a bad row: every bad row is reported
 * with the line it starts on (1-based, the header is line 1), so that one pass over a file tells
 * its author everything to fix. Only a file-level problem (an unknown column, no header) stops.
 */

export const IMPORT_COLUMNS = [
  'emailAddress',
  'firstName',
  'lastName',
  'userStatus',
  'smsNumber',
  'voiceNumber',
] as const
export type ImportColumn = (typeof IMPORT_COLUMNS)[number]

export const MAX_IMPORT_ROWS = 100_000

export type ImportFormat = 'csv' | 'ndjson'

export interface ImportUser {
  emailAddress: string
  firstName: string | null
  lastName: string | null
  userStatus: UserStatus
  smsNumber: string | null
  voiceNumber: string | null
}

export interface ImportRow {
  line: number
  user: ImportUser
}

export interface ImportRowError {
  line: number
  description: string
}

export interface ParsedImport {
  rows: ImportRow[]
  errors: ImportRowError[]
}

export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+$/
export const MAX_EMAIL_LENGTH = 254
const MAX_LENGTH: Record<Exclude<ImportColumn, 'emailAddress' | 'userStatus'>, number> = {
  firstName: 100,
  lastName: 100,
  smsNumber: 32,
  voiceNumber: 32,
}

const fileError = (message: string) => new DomainError('VALIDATION_FAILED', { message })

/**
 * One CSV record per element, with the physical line it starts on. RFC 4180: fields separated
 * by commas, records by CRLF (a bare LF is accepted too); a field in double quotes may hold
 * commas, line breaks and `""` (one quote). A quote inside an unquoted field, or text after a
 * closing quote, makes the record malformed (reported, the rest goes on); an unterminated quote
 * runs to the end of the file and is reported on the line it opened.
 */
export const parseCsvRecords = (
  text: string,
): { line: number; fields: string[]; error?: string }[] => {
  const records: { line: number; fields: string[]; error?: string }[] = []
  // Unquoted text runs up to the next delimiter or quote: sliced at once, not char by char.
  const special = /[,\r\n"]/g
  const n = text.length
  let line = 1
  let i = 0
  while (i < n) {
    const start = line
    const fields: string[] = []
    let error: string | undefined
    let endOfRecord = false
    while (!endOfRecord) {
      let field = ''
      if (text[i] === '"') {
        // Quoted: up to the closing quote; `""` is one quote; line breaks are data.
        i += 1
        let closed = false
        while (i < n) {
          const quote = text.indexOf('"', i)
          const chunk = text.slice(i, quote === -1 ? n : quote)
          for (let k = chunk.indexOf('\n'); k !== -1; k = chunk.indexOf('\n', k + 1)) line += 1
          field += chunk
          if (quote === -1) {
            i = n
            break
          }
          if (text[quote + 1] === '"') {
            field += '"'
            i = quote + 2
          } else {
            i = quote + 1
            closed = true
            break
          }
        }
        if (!closed) error = 'a quoted field is not closed'
      }
      special.lastIndex = i
      let match = special.exec(text)
      // Text after a closing quote, or a quote inside an unquoted field: malformed, skipped.
      while (match !== null && match[0] === '"') {
        error ??=
          field === '' && text[i - 1] !== '"'
            ? 'a quote inside an unquoted field'
            : 'text after a closing quote'
        match = special.exec(text)
      }
      const stop = match === null ? n : match.index
      if (stop > i) {
        if (text[i - 1] === '"' && error === undefined) error = 'text after a closing quote'
        field += text.slice(i, stop).replaceAll('"', '')
      }
      fields.push(field)
      if (match === null) {
        i = n
        endOfRecord = true
      } else if (match[0] === ',') {
        i = stop + 1
        if (i >= n) fields.push('')
        endOfRecord = i >= n
      } else {
        // CRLF or a bare LF (or a lone CR, taken as a line break too).
        i = match[0] === '\r' && text[stop + 1] === '\n' ? stop + 2 : stop + 1
        line += 1
        endOfRecord = true
      }
    }
    // A blank line is no record (a file usually ends with one).
    if (fields.length === 1 && fields[0] === '' && error === undefined) continue
    records.push(error === undefined ? { line: start, fields } : { line: start, fields, error })
  }
  return records
}

/** Checks one row's values; returns the user or what is wrong with it. */
const toImportUser = (values: Partial<Record<ImportColumn, unknown>>): ImportUser | string => {
  const text = (column: ImportColumn): string | null | undefined => {
    const value = values[column]
    if (value === undefined || value === null) return null
    if (typeof value !== 'string') return undefined
    const trimmed = value.trim()
    return trimmed === '' ? null : trimmed
  }
  const email = text('emailAddress')
  if (email === undefined) return 'emailAddress must be a string'
  if (email === null) return 'emailAddress is missing'
  if (!EMAIL_PATTERN.test(email) || email.length > MAX_EMAIL_LENGTH) {
    return `invalid email address '${email}'`
  }
  const status = text('userStatus')
  if (status === undefined) return 'userStatus must be a string'
  if (status !== null && !(USER_STATUSES as readonly string[]).includes(status)) {
    return `userStatus must be Enabled or Disabled, not '${status}'`
  }
  const optional: Partial<Record<keyof typeof MAX_LENGTH, string | null>> = {}
  for (const [column, max] of Object.entries(MAX_LENGTH) as [keyof typeof MAX_LENGTH, number][]) {
    const value = text(column)
    if (value === undefined) return `${column} must be a string or null`
    if (value !== null && value.length > max) return `${column} is longer than ${max} characters`
    optional[column] = value
  }
  return {
    emailAddress: email,
    firstName: optional.firstName ?? null,
    lastName: optional.lastName ?? null,
    userStatus: (status as UserStatus | null) ?? 'Enabled',
    smsNumber: optional.smsNumber ?? null,
    voiceNumber: optional.voiceNumber ?? null,
  }
}

const parseCsv = (text: string): ParsedImport => {
  const records = parseCsvRecords(text)
  const header = records[0]
  if (!header) throw fileError('The file holds no header row.')
  if (header.error) throw fileError(`Line 1: the header row is malformed (${header.error}).`)
  const columns = header.fields.map((name) => name.trim())
  for (const column of columns) {
    if (!(IMPORT_COLUMNS as readonly string[]).includes(column)) {
      throw fileError(`Line 1: unknown column '${column}' (columns: ${IMPORT_COLUMNS.join(', ')}).`)
    }
  }
  if (new Set(columns).size !== columns.length) throw fileError('Line 1: a column appears twice.')
  if (!columns.includes('emailAddress'))
    throw fileError('Line 1: the emailAddress column is missing.')

  const rows: ImportRow[] = []
  const errors: ImportRowError[] = []
  for (const record of records.slice(1)) {
    if (record.error) {
      errors.push({ line: record.line, description: `malformed CSV: ${record.error}` })
      continue
    }
    if (record.fields.length !== columns.length) {
      errors.push({
        line: record.line,
        description: `${record.fields.length} fields where the header has ${columns.length}`,
      })
      continue
    }
    const values: Partial<Record<ImportColumn, string>> = {}
    columns.forEach((column, index) => {
      values[column as ImportColumn] = record.fields[index] ?? ''
    })
    const user = toImportUser(values)
    if (typeof user === 'string') errors.push({ line: record.line, description: user })
    else rows.push({ line: record.line, user })
  }
  return { rows, errors }
}

const parseNdjson = (text: string): ParsedImport => {
  const rows: ImportRow[] = []
  const errors: ImportRowError[] = []
  const lines = text.split('\n')
  lines.forEach((raw, index) => {
    const line = index + 1
    const source = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (source.trim() === '') return
    let value: unknown
    try {
      value = JSON.parse(source)
    } catch {
      errors.push({ line, description: 'not valid JSON' })
      return
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      errors.push({ line, description: 'not a JSON object' })
      return
    }
    const unknown = Object.keys(value).filter(
      (key) => !(IMPORT_COLUMNS as readonly string[]).includes(key),
    )
    if (unknown.length > 0) {
      errors.push({ line, description: `unknown property '${unknown[0]}'` })
      return
    }
    const user = toImportUser(value as Partial<Record<ImportColumn, unknown>>)
    if (typeof user === 'string') errors.push({ line, description: user })
    else rows.push({ line, user })
  })
  return { rows, errors }
}

/**
 * Parses an import file. Throws `VALIDATION_FAILED` for a file-level problem (no or bad header,
 * no rows, more than {@link MAX_IMPORT_ROWS}); reports bad rows in `errors`.
 */
export const parseUserImport = (text: string, format: ImportFormat): ParsedImport => {
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text
  const parsed = format === 'csv' ? parseCsv(body) : parseNdjson(body)
  const count = parsed.rows.length + parsed.errors.length
  if (count === 0) throw fileError('The file holds no users.')
  if (count > MAX_IMPORT_ROWS) {
    throw fileError(
      `The file holds ${count} rows; at most ${MAX_IMPORT_ROWS} are imported at once.`,
    )
  }
  return parsed
}

/** Which format a file name or content type names, if any. */
export const importFormatOf = (nameOrType: string): ImportFormat | undefined => {
  const value = nameOrType.toLowerCase()
  if (value.endsWith('.csv') || value.startsWith('text/csv')) return 'csv'
  if (
    value.endsWith('.ndjson') ||
    value.endsWith('.jsonl') ||
    value.startsWith('application/x-ndjson')
  ) {
    return 'ndjson'
  }
  return undefined
}
