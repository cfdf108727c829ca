/**
 * Extra inputs: request fields a deployment declares beyond the contract's (a custom workflow's `cfg`, a sampler
 * name…). Each is one scalar with a small JSON Schema; this module checks the declarations and validates and
 * resolves a body's extra fields. It knows nothing of ComfyUI: the server binds the values into its graph.
 * @module
 */
import { ValidationProblem } from '../errors.js'
import { generateRequestSchema } from '../generated/generate-request-schema.js'
import type { ResolvedGenerateRequest, ValidationIssue } from '../types.js'
import { validateJson } from './json-schema.js'

/** The value of one extra input: a JSON scalar. */
export type ExtraInputValue = string | number | boolean

/** The schema of one extra input: the part of JSON Schema the validator checks, for one scalar. */
export interface ExtraInputSchema {
  readonly type: 'integer' | 'number' | 'string' | 'boolean'
  /** Shown in `/openapi.json` and on `/docs`. */
  readonly description?: string
  /** Applied when a request leaves the field out; without one, the workflow's own value stands. */
  readonly default?: ExtraInputValue
  readonly enum?: readonly ExtraInputValue[]
  readonly minimum?: number
  readonly maximum?: number
  readonly multipleOf?: number
  readonly minLength?: number
  readonly maxLength?: number
  readonly pattern?: string
}

/** Extra inputs by field name. */
export type ExtraInputs = Readonly<Record<string, ExtraInputSchema>>

/** The schema keywords an extra input may use; any other is refused. */
export const EXTRA_INPUT_KEYWORDS: readonly string[] = [
  'type',
  'description',
  'default',
  'enum',
  'minimum',
  'maximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'pattern',
]

const TYPES: readonly string[] = ['integer', 'number', 'string', 'boolean']
const NUMBER_KEYWORDS = ['minimum', 'maximum', 'multipleOf'] as const
const STRING_KEYWORDS = ['minLength', 'maxLength', 'pattern'] as const
/** snake_case, as the contract's own fields. */
const NAME = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/

/** The contract's own request fields, which an extra input may not reuse. */
const CONTRACT_FIELDS: readonly string[] = Object.keys(generateRequestSchema.properties)

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isCount = (value: unknown): boolean => Number.isInteger(value) && (value as number) >= 0

function patternProblems(pattern: unknown): string[] {
  if (typeof pattern !== 'string') return ['"pattern" must be a string']
  try {
    new RegExp(pattern, 'u')
    return []
  } catch (error) {
    return [`"pattern" is not a valid regular expression: ${(error as Error).message}`]
  }
}

function schemaProblems(schema: Record<string, unknown>): string[] {
  const unknown = Object.keys(schema).filter((key) => !EXTRA_INPUT_KEYWORDS.includes(key))
  if (unknown.length > 0) {
    const list = unknown.map((key) => `"${key}"`).join(', ')
    return [`unsupported schema keyword ${list} (supported: ${EXTRA_INPUT_KEYWORDS.join(', ')})`]
  }
  const { type } = schema
  if (typeof type !== 'string' || !TYPES.includes(type)) return [`"type" must be one of ${TYPES.join(', ')}`]
  const problems: string[] = []
  const numeric = type === 'integer' || type === 'number'
  for (const key of NUMBER_KEYWORDS) {
    if (schema[key] === undefined) continue
    if (!numeric) problems.push(`"${key}" applies to integer and number, not ${type}`)
    else if (typeof schema[key] !== 'number' || !Number.isFinite(schema[key]))
      problems.push(`"${key}" must be a number`)
  }
  if (typeof schema['multipleOf'] === 'number' && !(schema['multipleOf'] > 0)) problems.push('"multipleOf" must be > 0')
  if (typeof schema['minimum'] === 'number' && typeof schema['maximum'] === 'number') {
    if (schema['minimum'] > schema['maximum']) problems.push('"minimum" is above "maximum"')
  }
  for (const key of STRING_KEYWORDS) {
    if (schema[key] === undefined) continue
    if (type !== 'string') problems.push(`"${key}" applies to string, not ${type}`)
    else if (key !== 'pattern' && !isCount(schema[key])) problems.push(`"${key}" must be an integer ≥ 0`)
  }
  if (type === 'string' && schema['pattern'] !== undefined) problems.push(...patternProblems(schema['pattern']))
  if (schema['description'] !== undefined && typeof schema['description'] !== 'string') {
    problems.push('"description" must be a string')
  }
  if (schema['enum'] !== undefined) {
    const values = schema['enum']
    if (!Array.isArray(values) || values.length === 0) problems.push('"enum" must be a non-empty array')
    else {
      const wrong = values.filter((value) => validateJson({ type: type as 'string' }, value, []).length > 0)
      if (wrong.length > 0) problems.push(`"enum" has values that are not of type ${type}: ${JSON.stringify(wrong)}`)
    }
  }
  if (problems.length === 0 && schema['default'] !== undefined) {
    // Every keyword was checked above, so the object is a schema the validator reads.
    const issues = validateJson(schema as unknown as ExtraInputSchema, schema['default'], [])
    if (issues.length > 0) problems.push(`"default" ${JSON.stringify(schema['default'])}: ${issues[0]!.msg}`)
  }
  return problems
}

/**
 * Every problem of a set of extra-input declarations, one line each, starting with the field name: a name that is
 * not snake_case or is a contract field, a schema keyword outside {@link EXTRA_INPUT_KEYWORDS}, a keyword that does
 * not fit the type, a default the schema refuses. Empty when all are usable.
 * @example extraInputProblems({ width: { type: 'integer' } }) // ['"width": is a field of the contract …']
 */
export function extraInputProblems(inputs: Readonly<Record<string, unknown>>): string[] {
  const problems: string[] = []
  for (const [name, schema] of Object.entries(inputs)) {
    const prefix = `"${name}":`
    if (!NAME.test(name)) problems.push(`${prefix} the name must be snake_case (a-z, 0-9 and single underscores)`)
    else if (CONTRACT_FIELDS.includes(name)) {
      problems.push(
        `${prefix} is a field of the contract; pick another name (contract fields: ${CONTRACT_FIELDS.join(', ')})`,
      )
    }
    if (!isObject(schema)) problems.push(`${prefix} the schema must be an object such as {"type": "number"}`)
    else problems.push(...schemaProblems(schema).map((problem) => `${prefix} ${problem}`))
  }
  return problems
}

/**
 * Validates the extra fields of a body and hands the rest to `resolve` (the contract's resolver): the result carries
 * `extra`, the declared inputs in declaration order with defaults applied (an input with neither a value nor a
 * default is left out). A 422 lists the contract's issues, then the extra fields', each at `["body", name]`. Without
 * declared inputs, `resolve` sees the body as is.
 * @example resolveWithExtraInputs({ prompt: 'a fox', cfg: 2.5 }, { cfg: { type: 'number' } }, resolveGenerateRequest).extra // { cfg: 2.5 }
 */
export function resolveWithExtraInputs<T extends ResolvedGenerateRequest>(
  body: unknown,
  inputs: ExtraInputs | undefined,
  resolve: (body: unknown) => T,
): T {
  const names = Object.keys(inputs ?? {})
  if (!inputs || names.length === 0 || !isObject(body)) return resolve(body)
  const declared = (key: string): boolean => Object.hasOwn(inputs, key)
  const entries = Object.entries(body)
  const issues: ValidationIssue[] = []
  const extra: Record<string, ExtraInputValue> = {}
  for (const name of names) {
    const schema = inputs[name]!
    if (!Object.hasOwn(body, name)) {
      if (schema.default !== undefined) extra[name] = schema.default
      continue
    }
    const found = validateJson(schema, body[name], ['body', name])
    if (found.length > 0) issues.push(...found)
    else extra[name] = body[name] as ExtraInputValue
  }
  let resolved: T
  try {
    // fromEntries keeps a `__proto__` key an own property, so the contract's validator still reports it.
    resolved = resolve(Object.fromEntries(entries.filter(([key]) => !declared(key))))
  } catch (error) {
    if (error instanceof ValidationProblem && issues.length > 0) {
      throw new ValidationProblem([...error.issues, ...issues])
    }
    throw error
  }
  if (issues.length > 0) throw new ValidationProblem(issues)
  return { ...resolved, extra }
}
