/**
 * JWT audience matching (admin-api.md §3): both sides are normalised — scheme and host lower-
 * cased, default port dropped, trailing `/` dropped, then a trailing `/v1` or `/v2` dropped — and
 * compared exactly. Lenient mode also accepts the bare origin, which real clients send.
 */
export const normalizeAudience = (value: string): string | undefined => {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return undefined
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
  if (url.username || url.password || url.search || url.hash) return undefined
  const path = url.pathname
    .replace(/\/+$/, '')
    .replace(/\/v[12]$/, '')
    .replace(/\/+$/, '')
  return `${url.protocol}//${url.host}${path}`
}

export const acceptedAudiences = (publicUrl: string, mode: 'lenient' | 'strict'): Set<string> => {
  const accepted = new Set<string>()
  const api = normalizeAudience(`${publicUrl.replace(/\/+$/, '')}/AdminInterface/restapi`)
  if (api) accepted.add(api)
  if (mode === 'lenient') {
    const origin = normalizeAudience(new URL(publicUrl).origin)
    if (origin) accepted.add(origin)
  }
  return accepted
}

/** `aud` is a string or an array of strings, one of which must be accepted. */
export const audienceMatches = (aud: unknown, accepted: ReadonlySet<string>): boolean => {
  const values = typeof aud === 'string' ? [aud] : aud
  if (!Array.isArray(values) || values.length === 0) return false
  if (!values.every((value): value is string => typeof value === 'string')) return false
  return values.some((value) => {
    const normalized = normalizeAudience(value)
    return normalized !== undefined && accepted.has(normalized)
  })
}
