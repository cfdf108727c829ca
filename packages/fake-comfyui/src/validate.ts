/**
 * `POST /prompt` validation, ported from ComfyUI 0.8.0 `execution.py` (`validate_prompt`, `validate_inputs`):
 * same error types, messages, `node_errors` shape and "drop the failing outputs, 400 only if none is left" rule.
 * @module
 */
import { inputInfo, type NodeInfo } from './object-info.js'
import { pyRepr, pyStr } from './python.js'

/** One node of an API-format prompt. */
export interface PromptNode {
  class_type: string
  inputs: Record<string, unknown>
  _meta?: Record<string, unknown>
}

/** An API-format prompt: node id → node. */
export type PromptGraph = Record<string, PromptNode>

/** One error object of a `POST /prompt` answer. */
export interface PromptError {
  type: string
  message: string
  details: string
  extra_info: Record<string, unknown>
}

/** `node_errors` of a `POST /prompt` answer. */
export type NodeErrors = Record<string, { errors: PromptError[]; dependent_outputs: string[]; class_type: string }>

/** The result of {@link validatePrompt}. */
export type ValidationResult =
  | { ok: true; outputs: string[]; nodeErrors: NodeErrors }
  | { ok: false; error: PromptError; nodeErrors: NodeErrors }

type Validated = Map<string, { ok: boolean; errors: PromptError[] }>

class PythonError extends Error {
  constructor(
    readonly pythonType: string,
    message: string,
  ) {
    super(message)
  }
}

function convert(type: string, value: unknown): unknown {
  if (type === 'INT') {
    if (typeof value === 'boolean') return value ? 1 : 0
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new PythonError('OverflowError', 'cannot convert float infinity to integer')
      return Math.trunc(value)
    }
    if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number.parseInt(value, 10)
    if (typeof value === 'string') {
      throw new PythonError('ValueError', `invalid literal for int() with base 10: ${pyRepr(value)}`)
    }
    throw new PythonError(
      'TypeError',
      `int() argument must be a string, a bytes-like object or a real number, not '${pyTypeName(value)}'`,
    )
  }
  if (type === 'FLOAT') {
    if (typeof value === 'boolean') return value ? 1 : 0
    if (typeof value === 'number') return value
    if (typeof value === 'string' && /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/.test(value)) return Number(value)
    if (typeof value === 'string')
      throw new PythonError('ValueError', `could not convert string to float: ${pyRepr(value)}`)
    throw new PythonError('TypeError', `float() argument must be a string or a real number, not '${pyTypeName(value)}'`)
  }
  if (type === 'STRING') return pyStr(value)
  if (type === 'BOOLEAN') return Boolean(value) && !(Array.isArray(value) && value.length === 0)
  return value
}

function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType'
  if (Array.isArray(value)) return 'list'
  if (typeof value === 'object') return 'dict'
  return typeof value
}

/** `validate_node_input`: equal types, `*`, or overlapping comma-separated unions. */
function typesMatch(received: string, expected: string | unknown[]): boolean {
  if (received === expected) return true
  if (typeof expected !== 'string') return false
  const a = new Set(received.split(',').map((t) => t.trim()))
  const b = new Set(expected.split(',').map((t) => t.trim()))
  if (a.has('*') || b.has('*')) return true
  for (const t of a) if (b.has(t)) return true
  return false
}

/** True for a link input: `[source_node_id, output_slot]`. */
export function isLink(value: unknown): value is [string, number] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && Number.isInteger(value[1])
}

function validateInputs(
  prompt: PromptGraph,
  nodeId: string,
  objectInfo: Record<string, NodeInfo>,
  validated: Validated,
): { ok: boolean; errors: PromptError[] } {
  const known = validated.get(nodeId)
  if (known) return known
  const node = prompt[nodeId]
  if (!node) throw new PythonError('KeyError', pyRepr(nodeId))
  const info = objectInfo[node.class_type]
  if (!info) throw new PythonError('KeyError', pyRepr(node.class_type))
  const errors: PromptError[] = []
  let valid = true
  const inputs = node.inputs ?? {}
  node.inputs = inputs
  const names = [...Object.keys(info.input.required ?? {}), ...Object.keys(info.input.optional ?? {})]
  for (const name of names) {
    const spec = inputInfo(info, name)
    if (!spec) continue
    const config = [spec.type, spec.options]
    if (!(name in inputs)) {
      if (spec.category === 'required') {
        errors.push({
          type: 'required_input_missing',
          message: 'Required input is missing',
          details: name,
          extra_info: { input_name: name },
        })
      }
      continue
    }
    let value = inputs[name]
    if (Array.isArray(value)) {
      if (value.length !== 2) {
        errors.push({
          type: 'bad_linked_input',
          message: 'Bad linked input, must be a length-2 list of [node_id, slot_index]',
          details: name,
          extra_info: { input_name: name, input_config: config, received_value: value },
        })
        continue
      }
      const [fromId, slot] = value as [string, number]
      const fromNode = prompt[fromId]
      if (!fromNode) throw new PythonError('KeyError', pyRepr(fromId))
      const fromInfo = objectInfo[fromNode.class_type]
      const receivedType = fromInfo?.output[slot]
      if (receivedType === undefined) throw new PythonError('IndexError', 'tuple index out of range')
      if (!typesMatch(receivedType, spec.type)) {
        errors.push({
          type: 'return_type_mismatch',
          message: 'Return type mismatch between linked nodes',
          details: `${name}, received_type(${receivedType}) mismatch input_type(${pyStr(spec.type)})`,
          extra_info: { input_name: name, input_config: config, received_type: receivedType, linked_node: value },
        })
        continue
      }
      try {
        if (!validateInputs(prompt, fromId, objectInfo, validated).ok) valid = false
      } catch (error) {
        valid = false
        const python = error instanceof PythonError ? error : new PythonError('Exception', String(error))
        validated.set(fromId, {
          ok: false,
          errors: [
            {
              type: 'exception_during_inner_validation',
              message: 'Exception when validating inner node',
              details: python.message,
              extra_info: {
                input_name: name,
                input_config: config,
                exception_message: python.message,
                exception_type: python.pythonType,
                traceback: [],
                linked_node: value,
              },
            },
          ],
        })
      }
      continue
    }
    try {
      if (value !== null && typeof value === 'object' && '__value__' in value) {
        value = (value as { __value__: unknown }).__value__
        inputs[name] = value
      }
      if (typeof spec.type === 'string') {
        value = convert(spec.type, value)
        inputs[name] = value
      }
    } catch (error) {
      const python = error as PythonError
      errors.push({
        type: 'invalid_input_type',
        message: `Failed to convert an input value to a ${pyStr(spec.type)} value`,
        details: `${name}, ${pyStr(value)}, ${python.message}`,
        extra_info: {
          input_name: name,
          input_config: config,
          received_value: value,
          exception_message: python.message,
        },
      })
      continue
    }
    const { min, max } = spec.options as { min?: number; max?: number }
    if (min !== undefined && typeof value === 'number' && value < min) {
      errors.push({
        type: 'value_smaller_than_min',
        message: `Value ${value} smaller than min of ${min}`,
        details: name,
        extra_info: { input_name: name, input_config: config, received_value: value },
      })
      continue
    }
    if (max !== undefined && typeof value === 'number' && value > max) {
      errors.push({
        type: 'value_bigger_than_max',
        message: `Value ${value} bigger than max of ${max}`,
        details: name,
        extra_info: { input_name: name, input_config: config, received_value: value },
      })
      continue
    }
    const options = Array.isArray(spec.type)
      ? spec.type
      : spec.type === 'COMBO'
        ? ((spec.options['options'] as unknown[] | undefined) ?? [])
        : undefined
    if (options && !options.includes(value)) {
      const long = options.length > 20
      errors.push({
        type: 'value_not_in_list',
        message: 'Value not in list',
        details: `${name}: '${pyStr(value)}' not in ${long ? `(list of length ${options.length})` : pyRepr(options)}`,
        extra_info: { input_name: name, input_config: long ? null : config, received_value: value },
      })
    }
  }
  const result = { ok: errors.length === 0 && valid, errors }
  validated.set(nodeId, result)
  return result
}

/**
 * Validates an API-format prompt against the fake's `/object_info`, as `execution.validate_prompt` does.
 * Converts widget values in place (`"5"` → `5` for an INT), like ComfyUI.
 * @example
 * const result = validatePrompt(graph, objectInfo)
 * if (!result.ok) reply(400, { error: result.error, node_errors: result.nodeErrors })
 */
export function validatePrompt(
  prompt: unknown,
  objectInfo: Record<string, NodeInfo>,
  partialExecutionTargets?: readonly string[],
): ValidationResult {
  const graph = (prompt ?? {}) as PromptGraph
  const outputs: string[] = []
  for (const [id, node] of Object.entries(graph)) {
    if (node === null || typeof node !== 'object' || !('class_type' in node)) {
      return {
        ok: false,
        error: {
          type: 'invalid_prompt',
          message: 'Cannot execute because a node is missing the class_type property.',
          details: `Node ID '#${id}'`,
          extra_info: {},
        },
        nodeErrors: {},
      }
    }
    const info = objectInfo[node.class_type]
    if (!info) {
      return {
        ok: false,
        error: {
          type: 'invalid_prompt',
          message: `Cannot execute because node ${node.class_type} does not exist.`,
          details: `Node ID '#${id}'`,
          extra_info: {},
        },
        nodeErrors: {},
      }
    }
    if (info.output_node && (!partialExecutionTargets || partialExecutionTargets.includes(id))) outputs.push(id)
  }
  if (outputs.length === 0) {
    return {
      ok: false,
      error: { type: 'prompt_no_outputs', message: 'Prompt has no outputs', details: '', extra_info: {} },
      nodeErrors: {},
    }
  }
  const good: string[] = []
  const failures: PromptError[] = []
  const nodeErrors: NodeErrors = {}
  const validated: Validated = new Map()
  for (const output of outputs) {
    let result: { ok: boolean; errors: PromptError[] }
    try {
      result = validateInputs(graph, output, objectInfo, validated)
    } catch (error) {
      const python = error instanceof PythonError ? error : new PythonError('Exception', String(error))
      result = {
        ok: false,
        errors: [
          {
            type: 'exception_during_validation',
            message: 'Exception when validating node',
            details: python.message,
            extra_info: { exception_type: python.pythonType, traceback: [] },
          },
        ],
      }
      validated.set(output, result)
    }
    if (result.ok) {
      good.push(output)
      continue
    }
    failures.push(...result.errors)
    for (const [nodeId, entry] of validated) {
      if (entry.ok || entry.errors.length === 0) continue
      nodeErrors[nodeId] ??= {
        errors: entry.errors,
        dependent_outputs: [],
        class_type: graph[nodeId]?.class_type ?? '',
      }
      nodeErrors[nodeId].dependent_outputs.push(output)
    }
  }
  if (good.length === 0) {
    return {
      ok: false,
      error: {
        type: 'prompt_outputs_failed_validation',
        message: 'Prompt outputs failed validation',
        details: failures.map((e) => `${e.message}: ${e.details}`).join('\n'),
        extra_info: {},
      },
      nodeErrors,
    }
  }
  return { ok: true, outputs: good, nodeErrors }
}
