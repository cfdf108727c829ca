import type { ValidationIssue } from '../types.js'

/** The subset of JSON Schema the contract's request bodies use. */
export interface JsonSchema {
  readonly type?: 'object' | 'string' | 'integer' | 'number' | 'boolean'
  readonly properties?: Readonly<Record<string, JsonSchema>>
  readonly required?: readonly string[]
  readonly additionalProperties?: boolean
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
  /** The `msg` of a `string_pattern_mismatch`, where the contract words it (a regex says little to a user). */
  readonly 'x-pattern-message'?: string
  readonly minimum?: number
  readonly exclusiveMinimum?: number
  readonly maximum?: number
  readonly multipleOf?: number
  readonly enum?: readonly unknown[]
  readonly default?: unknown
}

type Location = ValidationIssue['loc']

/** Echoed strings longer than this many characters are cut, ending in `…`. */
const ECHO_MAX_CHARS = 64
/** Echoed arrays and objects keep this many entries; the rest become one `…` entry. */
const ECHO_MAX_ENTRIES = 16
/** Echoed arrays and objects nested deeper than this become the string `[…]` or `{…}`. */
const ECHO_MAX_DEPTH = 2

/**
 * A small copy of an offending value for the `input` of an issue: strings cut at {@link ECHO_MAX_CHARS} characters,
 * containers cut at {@link ECHO_MAX_ENTRIES} entries and {@link ECHO_MAX_DEPTH} levels. A 422 therefore stays
 * small, and serialising it cannot overflow the stack, whatever the caller sent. `echoInput([[[1]]])` is `[['[…]']]`.
 */
function echoInput(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') {
    const characters = [...value.slice(0, 2 * ECHO_MAX_CHARS + 2)]
    return characters.length > ECHO_MAX_CHARS ? `${characters.slice(0, ECHO_MAX_CHARS).join('')}…` : value
  }
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) {
    if (depth >= ECHO_MAX_DEPTH) return '[…]'
    const items = value.slice(0, ECHO_MAX_ENTRIES).map((item) => echoInput(item, depth + 1))
    return value.length > ECHO_MAX_ENTRIES ? [...items, '…'] : items
  }
  if (depth >= ECHO_MAX_DEPTH) return '{…}'
  const entries = Object.entries(value)
  const kept = entries.slice(0, ECHO_MAX_ENTRIES).map(([key, item]) => [echoInput(key), echoInput(item, depth + 1)])
  return Object.fromEntries(entries.length > ECHO_MAX_ENTRIES ? [...kept, ['…', '…']] : kept)
}

const quoteList = (values: readonly unknown[]): string => {
  const quoted = values.map((value) => `'${String(value)}'`)
  return quoted.length < 2 ? (quoted[0] ?? '') : `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`
}

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`

const typeIssue = (schema: JsonSchema, loc: Location, input: unknown): ValidationIssue | undefined => {
  switch (schema.type) {
    case 'string':
      return typeof input === 'string'
        ? undefined
        : { loc, msg: 'Input should be a valid string', type: 'string_type', input }
    case 'boolean':
      return typeof input === 'boolean'
        ? undefined
        : { loc, msg: 'Input should be a valid boolean', type: 'bool_type', input }
    case 'number':
      return typeof input === 'number' && Number.isFinite(input)
        ? undefined
        : { loc, msg: 'Input should be a valid number', type: 'float_type', input }
    case 'integer':
      if (typeof input !== 'number' || !Number.isFinite(input)) {
        return { loc, msg: 'Input should be a valid integer', type: 'int_type', input }
      }
      return Number.isInteger(input)
        ? undefined
        : {
            loc,
            msg: 'Input should be a valid integer, got a number with a fractional part',
            type: 'int_from_float',
            input,
          }
    default:
      return undefined
  }
}

/** Compiled `pattern`s, by source: the contract's few are compiled once, not on every request. */
const patterns = new Map<string, RegExp>()

const patternOf = (source: string): RegExp => {
  let compiled = patterns.get(source)
  if (!compiled) {
    compiled = new RegExp(source, 'u')
    patterns.set(source, compiled)
  }
  return compiled
}

const stringIssues = (schema: JsonSchema, loc: Location, input: string): ValidationIssue[] => {
  const issues: ValidationIssue[] = []
  const length = codePoints(input)
  if (schema.minLength !== undefined && length < schema.minLength) {
    issues.push({
      loc,
      msg: `String should have at least ${plural(schema.minLength, 'character')}`,
      type: 'string_too_short',
      input,
      ctx: { min_length: schema.minLength },
    })
  } else if (schema.maxLength !== undefined && length > schema.maxLength) {
    issues.push({
      loc,
      msg: `String should have at most ${plural(schema.maxLength, 'character')}`,
      type: 'string_too_long',
      input,
      ctx: { max_length: schema.maxLength },
    })
  } else if (schema.pattern !== undefined && !patternOf(schema.pattern).test(input)) {
    issues.push({
      loc,
      msg: schema['x-pattern-message'] ?? `String should match pattern '${schema.pattern}'`,
      type: 'string_pattern_mismatch',
      input,
      ctx: { pattern: schema.pattern },
    })
  }
  return issues
}

/** Code points in a string, counted without building an array (image_url data URIs run to megabytes). */
const codePoints = (input: string): number => {
  let count = 0
  for (let index = 0; index < input.length; index += 1) {
    const unit = input.charCodeAt(index)
    if (unit >= 0xd800 && unit <= 0xdbff && index + 1 < input.length) {
      const next = input.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) index += 1
    }
    count += 1
  }
  return count
}

const numberIssues = (schema: JsonSchema, loc: Location, input: number): ValidationIssue[] => {
  if (schema.exclusiveMinimum !== undefined && input <= schema.exclusiveMinimum) {
    const gt = schema.exclusiveMinimum
    return [{ loc, msg: `Input should be greater than ${gt}`, type: 'greater_than', input, ctx: { gt } }]
  }
  if (schema.minimum !== undefined && input < schema.minimum) {
    const ge = schema.minimum
    return [
      { loc, msg: `Input should be greater than or equal to ${ge}`, type: 'greater_than_equal', input, ctx: { ge } },
    ]
  }
  if (schema.maximum !== undefined && input > schema.maximum) {
    const le = schema.maximum
    return [{ loc, msg: `Input should be less than or equal to ${le}`, type: 'less_than_equal', input, ctx: { le } }]
  }
  if (schema.multipleOf !== undefined && input % schema.multipleOf !== 0) {
    const multipleOf = schema.multipleOf
    return [
      {
        loc,
        msg: `Input should be a multiple of ${multipleOf}`,
        type: 'multiple_of',
        input,
        ctx: { multiple_of: multipleOf },
      },
    ]
  }
  return []
}

const objectIssues = (schema: JsonSchema, loc: Location, input: Record<string, unknown>): ValidationIssue[] => {
  const issues: ValidationIssue[] = []
  const properties = schema.properties ?? {}
  for (const name of schema.required ?? []) {
    if (input[name] === undefined) issues.push({ loc: [...loc, name], msg: 'Field required', type: 'missing', input })
  }
  for (const [name, value] of Object.entries(input)) {
    // Own properties only: `__proto__`, `constructor` or `toString` in a body are unknown fields, not schemas.
    const property = Object.hasOwn(properties, name) ? properties[name] : undefined
    if (property) {
      if (value !== undefined) issues.push(...collectIssues(property, value, [...loc, name]))
    } else if (schema.additionalProperties === false) {
      issues.push({ loc: [...loc, name], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: value })
    }
  }
  return issues
}

/**
 * Checks `input` against `schema` and lists every problem in the FastAPI/pydantic shape (`loc`, `msg`, `type`).
 * Each issue's `input` is a small copy of the offending value ({@link echoInput}). The walk follows the schema, so it
 * recurses only as deep as the schema is, however deep the input.
 * @example validateJson({ type: 'integer', minimum: 1 }, 0, ['body', 'steps']) // [{ type: 'greater_than_equal', … }]
 */
export function validateJson(schema: JsonSchema, input: unknown, loc: Location): ValidationIssue[] {
  return collectIssues(schema, input, loc).map((issue) =>
    'input' in issue ? { ...issue, input: echoInput(issue.input) } : issue,
  )
}

function collectIssues(schema: JsonSchema, input: unknown, loc: Location): ValidationIssue[] {
  if (schema.type === 'object') {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return [
        {
          loc,
          msg: 'Input should be a valid dictionary or object to extract fields from',
          type: 'model_attributes_type',
          input,
        },
      ]
    }
    return objectIssues(schema, loc, input as Record<string, unknown>)
  }
  const wrongType = typeIssue(schema, loc, input)
  if (wrongType) return [wrongType]
  if (schema.enum && !schema.enum.includes(input)) {
    const expected = quoteList(schema.enum)
    return [{ loc, msg: `Input should be ${expected}`, type: 'enum', input, ctx: { expected } }]
  }
  if (typeof input === 'string') return stringIssues(schema, loc, input)
  if (typeof input === 'number') return numberIssues(schema, loc, input)
  return []
}
