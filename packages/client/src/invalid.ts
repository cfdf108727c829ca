/** A `TypeError` naming the invalid option, what it must be and what it was. */
export function invalid(name: string, expected: string, value: unknown): TypeError {
  const shown =
    typeof value === 'string' ? `'${value}'` : typeof value === 'object' && value ? 'an object' : String(value)
  return new TypeError(`genimage: \`${name}\` must be ${expected}; got ${shown}`)
}
