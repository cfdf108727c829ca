/**
 * Extra inputs of a workflow: the `"inputs"` section of `bindings.json` declares request fields beyond the
 * contract's, each with a JSON Schema and the node input(s) its value is written to:
 * `"inputs": { "cfg": { "schema": { "type": "number", "minimum": 0, "maximum": 10, "default": 1 }, "bind": ["13", "cfg"], "description": "…" } }`.
 * This module parses the section, checks the bindings against `/object_info` and writes values into a graph.
 * @module
 */
import { type ExtraInputSchema, type ExtraInputs, extraInputProblems } from '@genimage/core'
import { comboOptions, inputsOf, listOf, rangeOf, specOf, typeName } from './node-inputs.js'
import type { ComfyGraph, InputSpec, NodeInfo } from './protocol.js'

/** A node input a value is written to: `[node_id, input_name]` in `workflow.json`. */
type Target = readonly [nodeId: string, inputName: string]

/** One declared extra input: its request field, its schema and where its value goes. */
export interface ExtraInput {
  /** The request field (snake_case, not a contract field). */
  name: string
  /** The value's schema, its description included; what `/openapi.json` shows. */
  schema: ExtraInputSchema
  /** Every node input the value is written to. */
  binds: readonly Target[]
}

/** The keys of one entry of `"inputs"`. */
const ENTRY_KEYS: readonly string[] = ['schema', 'bind', 'description']

/** The ComfyUI input types each schema type may be bound to (an integer fits a FLOAT; a fraction no INT). */
const COMFY_TYPES: Record<ExtraInputSchema['type'], readonly string[]> = {
  integer: ['INT', 'FLOAT'],
  number: ['FLOAT'],
  string: ['STRING'],
  boolean: ['BOOLEAN'],
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

const isTarget = (value: unknown): value is Target =>
  Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && typeof value[1] === 'string'

/** `["13","cfg"]` or `[["13","cfg"], ["40","cfg"]]` as a list of targets; undefined when it is neither. */
function targetsOf(bind: unknown): Target[] | undefined {
  if (isTarget(bind)) return [bind]
  if (Array.isArray(bind) && bind.length > 0 && bind.every(isTarget)) return bind
  return undefined
}

/**
 * Reads the `"inputs"` section of a `bindings.json` (absent: none) and lists every problem, each naming the file and
 * the field: the entry's shape, the name (snake_case, not a contract field) and the schema (only the keywords the
 * validator supports). Keys starting with `$` are comments.
 * @example parseExtraInputs({ cfg: { schema: { type: 'number' }, bind: ['13', 'cfg'] } }).inputs[0]?.binds // [['13', 'cfg']]
 */
export function parseExtraInputs(section: unknown): { inputs: ExtraInput[]; problems: string[] } {
  if (section === undefined) return { inputs: [], problems: [] }
  if (!isObject(section)) {
    const shape = '{"name": {"schema": {...}, "bind": ["node_id", "input_name"], "description": "..."}}'
    return { inputs: [], problems: [`bindings.json: "inputs" must be an object such as ${shape}`] }
  }
  const inputs: ExtraInput[] = []
  const problems: string[] = []
  for (const [name, entry] of Object.entries(section)) {
    if (name.startsWith('$')) continue
    const prefix = `bindings.json: inputs "${name}":`
    if (!isObject(entry)) {
      problems.push(`${prefix} must be an object with "schema", "bind" and optionally "description"`)
      continue
    }
    const unknown = Object.keys(entry).filter((key) => !ENTRY_KEYS.includes(key) && !key.startsWith('$'))
    if (unknown.length > 0)
      problems.push(`${prefix} unknown key ${unknown.join(', ')} (keys: ${ENTRY_KEYS.join(', ')})`)
    const binds = targetsOf(entry['bind'])
    if (!binds) problems.push(`${prefix} "bind" must be ["node_id", "input_name"] or a list of them`)
    if (entry['description'] !== undefined && typeof entry['description'] !== 'string') {
      problems.push(`${prefix} "description" must be a string`)
    }
    if (!isObject(entry['schema'])) {
      problems.push(`${prefix} "schema" must be a JSON Schema object such as {"type": "number", "minimum": 0}`)
      continue
    }
    const schema = {
      ...entry['schema'],
      ...(entry['description'] === undefined ? {} : { description: entry['description'] }),
    }
    const found = extraInputProblems({ [name]: schema })
    problems.push(...found.map((problem) => `bindings.json: inputs ${problem}`))
    if (found.length === 0 && binds) inputs.push({ name, schema: schema as unknown as ExtraInputSchema, binds })
  }
  return { inputs, problems }
}

/**
 * The declarations as `createApp`'s `extraInputs`: name → schema.
 * @example toExtraInputs(workflow.inputs) // { cfg: { type: 'number', … } }
 */
export function toExtraInputs(inputs: readonly ExtraInput[]): ExtraInputs {
  return Object.fromEntries(inputs.map((input) => [input.name, input.schema]))
}

function typeProblem(input: ExtraInput, where: string, spec: InputSpec): string | undefined {
  const { schema, name } = input
  const options = comboOptions(spec)
  if (options) {
    if (schema.type !== 'string' || !schema.enum) {
      return `${where} is a choice of ${listOf(options)}; declare "${name}" as {"type": "string", "enum": [...]} of those`
    }
    const missing = schema.enum.filter((value) => !options.includes(value))
    return missing.length > 0 ? `${where} offers ${listOf(options)}, not ${missing.join(', ')}` : undefined
  }
  const accepted = COMFY_TYPES[schema.type]
  if (!accepted.includes(spec[0] as string)) {
    return `${where} is ${typeName(spec)}, but "${name}" is ${schema.type} (binds to ${accepted.join(' or ')})`
  }
  if (schema.type !== 'integer' && schema.type !== 'number') return undefined
  const [min, max] = rangeOf(spec)
  const values = schema.enum as readonly number[] | undefined
  const lo = values ? Math.min(...values) : (schema.minimum ?? Number.NEGATIVE_INFINITY)
  const hi = values ? Math.max(...values) : (schema.maximum ?? Number.POSITIVE_INFINITY)
  if (lo < min || hi > max) {
    return `${where} accepts ${min}…${max}, but "${name}" allows ${lo}…${hi}; set "minimum" and "maximum" within it`
  }
  return undefined
}

/**
 * Checks each extra input's bindings against the workflow and ComfyUI's classes, like the contract fields' bindings:
 * the node exists, its class has the input, no other field writes it (`fields`: the contract's bindings), and the
 * input's type and range fit the schema (INT/FLOAT for integer, FLOAT for number, STRING for string, BOOLEAN for
 * boolean, a combo for a string enum of its choices).
 * @example extraInputBindingProblems(files.inputs, files.bindings, files.graph, (name) => infos.get(name)) // []
 */
export function extraInputBindingProblems(
  inputs: readonly ExtraInput[],
  fields: Readonly<Record<string, unknown>>,
  graph: ComfyGraph,
  infoOf: (className: string) => NodeInfo | undefined,
): string[] {
  const problems: string[] = []
  const writers = new Map<string, string>()
  for (const [field, bind] of Object.entries(fields)) if (isTarget(bind)) writers.set(`${bind[0]}.${bind[1]}`, field)
  for (const input of inputs) {
    for (const [nodeId, inputName] of input.binds) {
      const prefix = `bindings.json: inputs "${input.name}" → ${JSON.stringify([nodeId, inputName])}`
      const writer = writers.get(`${nodeId}.${inputName}`)
      if (writer !== undefined) {
        problems.push(`${prefix}: "${writer}" is bound there already; a node input takes one field`)
        continue
      }
      writers.set(`${nodeId}.${inputName}`, input.name)
      const node = graph[nodeId]
      if (!node) {
        problems.push(`${prefix}: workflow.json has no node "${nodeId}" (nodes: ${Object.keys(graph).join(', ')})`)
        continue
      }
      const info = infoOf(node.class_type)
      if (!info) {
        problems.push(`${prefix}: ComfyUI has no class "${node.class_type}"`)
        continue
      }
      const spec = specOf(info, inputName)
      if (!spec) {
        problems.push(
          `${prefix}: ${node.class_type} has no input "${inputName}" (inputs: ${inputsOf(info).join(', ')})`,
        )
        continue
      }
      const problem = typeProblem(input, `${node.class_type}.${inputName}`, spec)
      if (problem) problems.push(`${prefix}: ${problem}`)
    }
  }
  return problems
}

/**
 * Writes a request's extra values into a graph (in place), at every binding of each input; an input without a value
 * keeps the workflow's own.
 * @example bindExtraInputs(graph, workflow.inputs, { cfg: 2.5 }) // graph['13'].inputs.cfg === 2.5
 */
export function bindExtraInputs(
  graph: ComfyGraph,
  inputs: readonly ExtraInput[],
  values: Readonly<Record<string, unknown>> | undefined,
): void {
  if (!values) return
  for (const input of inputs) {
    if (!Object.hasOwn(values, input.name)) continue
    for (const [nodeId, inputName] of input.binds) {
      const node = graph[nodeId]
      if (node) node.inputs[inputName] = values[input.name]
    }
  }
}
