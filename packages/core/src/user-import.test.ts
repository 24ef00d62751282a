import { describe, expect, it } from 'vitest'
import { parseCsvRecords, parseUserImport } from './user-import.js'

describe('parseCsvRecords (RFC 4180)', () => {
  it('splits fields and records, with CRLF or LF, and skips blank lines', () => {
    expect(parseCsvRecords('a,b,c\r\n1,,3\n\n4,5,\r\n')).toEqual([
      { line: 1, fields: ['a', 'b', 'c'] },
      { line: 2, fields: ['1', '', '3'] },
      { line: 4, fields: ['4', '5', ''] },
    ])
  })

  it('reads quoted fields with commas, escaped quotes and line breaks', () => {
    expect(parseCsvRecords('"a,b","say ""hi""","two\r\nlines"\nnext,"",x')).toEqual([
      { line: 1, fields: ['a,b', 'say "hi"', 'two\r\nlines'] },
      { line: 3, fields: ['next', '', 'x'] },
    ])
  })

  it('keeps a last record without a line break, and a trailing empty field', () => {
    expect(parseCsvRecords('a,b\n1,')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['1', ''] },
    ])
  })

  it('reports malformed quoting on the record, and goes on', () => {
    expect(parseCsvRecords('ab"c,d\n"x"y,z\nok,1\n"open,2\nmore')).toEqual([
      { line: 1, fields: ['abc', 'd'], error: 'a quote inside an unquoted field' },
      { line: 2, fields: ['xy', 'z'], error: 'text after a closing quote' },
      { line: 3, fields: ['ok', '1'] },
      { line: 4, fields: ['open,2\nmore'], error: 'a quoted field is not closed' },
    ])
  })
})

describe('parseUserImport', () => {
  it('trims values, turns empty ones into null and defaults userStatus to Enabled', () => {
    expect(
      parseUserImport('emailAddress,firstName,userStatus\n a@example.com , ,\n', 'csv'),
    ).toEqual({
      rows: [
        {
          line: 2,
          user: {
            emailAddress: 'a@example.com',
            firstName: null,
            lastName: null,
            userStatus: 'Enabled',
            smsNumber: null,
            voiceNumber: null,
          },
        },
      ],
      errors: [],
    })
  })

  it('refuses more than 100,000 rows', () => {
    const csv = `emailAddress\n${'a@b.c\n'.repeat(100_001)}`
    expect(() => parseUserImport(csv, 'csv')).toThrow(/100001 rows; at most 100000/)
  })
})
