const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const UUID_ANY_CASE = new RegExp(UUID.source, 'i')

/** Ids are lowercase UUIDs (admin-api.md §1). Anything else names nothing. */
export const isUuid = (value: string): boolean => UUID.test(value)

/**
 * The form an id is stored and compared in: UUIDs are case-insensitive on input (RFC 9562 §4),
 * so a UUID in any case becomes its lowercase form; anything else is returned unchanged (it
 * names nothing). The HTTP edge applies it to every path parameter, once.
 */
export const canonicalId = (value: string): string =>
  UUID_ANY_CASE.test(value) ? value.toLowerCase() : value
