const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/** Ids are lowercase UUIDs (admin-api.md §1). Anything else names nothing. */
export const isUuid = (value: string): boolean => UUID.test(value)
