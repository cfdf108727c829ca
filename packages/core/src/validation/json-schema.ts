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
  readonly minimum?: number
  readonly maximum?: number
  readonly multipleOf?: number
  readonly enum?: readonly unknown[]
  readonly default?: unknown
}

type Location = ValidationIssue['loc']

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

const stringIssues = (schema: JsonSchema, loc: Location, input: string): ValidationIssue[] => {
  const issues: ValidationIssue[] = []
  const length = [...input].length
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
      input: `${input.slice(0, 40)}…`,
      ctx: { max_length: schema.maxLength },
    })
  } else if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(input)) {
    issues.push({
      loc,
      msg: `String should match pattern '${schema.pattern}'`,
      type: 'string_pattern_mismatch',
      input,
      ctx: { pattern: schema.pattern },
    })
  }
  return issues
}

const numberIssues = (schema: JsonSchema, loc: Location, input: number): ValidationIssue[] => {
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
    const property = properties[name]
    if (property) {
      if (value !== undefined) issues.push(...validateJson(property, value, [...loc, name]))
    } else if (schema.additionalProperties === false) {
      issues.push({ loc: [...loc, name], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: value })
    }
  }
  return issues
}

/**
 * Checks `input` against `schema` and lists every problem in the FastAPI/pydantic shape (`loc`, `msg`, `type`).
 * @example validateJson({ type: 'integer', minimum: 1 }, 0, ['body', 'steps']) // [{ type: 'greater_than_equal', … }]
 */
export function validateJson(schema: JsonSchema, input: unknown, loc: Location): ValidationIssue[] {
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
