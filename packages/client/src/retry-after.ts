/**
 * Milliseconds a `Retry-After` value asks to wait: delay-seconds or an HTTP date; `undefined` when absent or invalid.
 * @example parseRetryAfter('2') // 2000
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  const text = value?.trim()
  if (!text) return undefined
  if (/^\d+$/.test(text)) return Number(text) * 1000
  // HTTP dates always contain letters (day and month names); this keeps `Date.parse` from reading '1.5' as a year.
  const date = /[a-z]/i.test(text) ? Date.parse(text) : Number.NaN
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/**
 * Whole seconds the `Retry-After` header of a response asks to wait, rounded up; `undefined` when absent or invalid.
 * @example retryAfterSeconds(new Headers({ 'retry-after': '2' })) // 2
 */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const ms = parseRetryAfter(headers.get('retry-after'))
  return ms === undefined ? undefined : Math.ceil(ms / 1000)
}
