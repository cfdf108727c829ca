/**
 * How Python prints values, for byte-faithful answers: `json.dumps` (ComfyUI's HTTP and WebSocket JSON), `repr` and
 * `str` (inside ComfyUI's error messages).
 * @module
 */

/**
 * Serialises like Python's `json.dumps` with default arguments: `", "` and `": "` separators, non-ASCII escaped;
 * a `Map` is written in insertion order, like a Python dict.
 * @example
 * pyJson({ type: 'status', data: { sid: 'a' } }) // '{"type": "status", "data": {"sid": "a"}}'
 */
export function pyJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (typeof value === 'string') {
    return JSON.stringify(value).replace(
      /[\u0080-\uffff]/g,
      (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
    )
  }
  if (typeof value === 'number') return Number.isFinite(value) ? JSON.stringify(value) : value > 0 ? 'Infinity' : 'NaN'
  if (typeof value === 'boolean') return value ? 'true' : 'false'
  if (Array.isArray(value)) return `[${value.map(pyJson).join(', ')}]`
  // A Map keeps insertion order even for integer-like keys (a plain object sorts those first, Python does not).
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${pyJson(String(k))}: ${pyJson(v)}`).join(', ')}}`
  if (typeof value === 'object') {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined)
    return `{${entries.map(([k, v]) => `${pyJson(k)}: ${pyJson(v)}`).join(', ')}}`
  }
  return 'null'
}

/**
 * Python's `repr` of a plain value, enough for the messages ComfyUI builds with `str(list)`.
 * @example
 * pyRepr(['a', 1, true]) // "['a', 1, True]"
 */
export function pyRepr(value: unknown): string {
  if (typeof value === 'string') return `'${value.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}'`
  if (value === null || value === undefined) return 'None'
  if (value === true) return 'True'
  if (value === false) return 'False'
  if (Array.isArray(value)) return `[${value.map(pyRepr).join(', ')}]`
  if (typeof value === 'object') {
    return `{${Object.entries(value)
      .map(([k, v]) => `${pyRepr(k)}: ${pyRepr(v)}`)
      .join(', ')}}`
  }
  return String(value)
}

/**
 * Python's `str` of a plain value.
 * @example
 * pyStr('x') // 'x'
 */
export function pyStr(value: unknown): string {
  return typeof value === 'string' ? value : pyRepr(value)
}
