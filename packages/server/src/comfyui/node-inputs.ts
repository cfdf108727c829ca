/**
 * Reading the inputs of a ComfyUI class as `/object_info` describes them, for the binding checks.
 * @module
 */
import type { InputSpec, NodeInfo } from './protocol.js'

/**
 * The names of a class's inputs, required first.
 * @example inputsOf(info) // ['model', 'add_noise', 'noise_seed', 'cfg', …]
 */
export function inputsOf(info: NodeInfo): string[] {
  return [...Object.keys(info.input.required ?? {}), ...Object.keys(info.input.optional ?? {})]
}

/**
 * The spec of one input of a class, required or optional; undefined when the class has no such input.
 * @example specOf(info, 'cfg') // ['FLOAT', { min: 0, max: 100, … }]
 */
export function specOf(info: NodeInfo, input: string): InputSpec | undefined {
  return info.input.required?.[input] ?? info.input.optional?.[input]
}

/**
 * The choices of a combo input, in both of ComfyUI's shapes (`[[…options]]` and `["COMBO", {options}]`); undefined
 * for any other input.
 * @example comboOptions(['COMBO', { options: ['euler'] }]) // ['euler']
 */
export function comboOptions(spec: InputSpec): unknown[] | undefined {
  if (Array.isArray(spec[0])) return spec[0]
  if (spec[0] === 'COMBO') return (spec[1]?.['options'] as unknown[] | undefined) ?? []
  return undefined
}

/**
 * An input's type for messages: its type name, or `a list of choices` for a V1 combo.
 * @example typeName(['INT', {}]) // 'INT'
 */
export function typeName(spec: InputSpec): string {
  return Array.isArray(spec[0]) ? 'a list of choices' : spec[0]
}

/**
 * Values for a message, the first `limit` of them and a count of the rest.
 * @example listOf(['a', 'b', 'c'], 2) // 'a, b, … (3 in all)'
 */
export function listOf(values: readonly unknown[], limit = 12): string {
  const shown = values.slice(0, limit).map(String).join(', ')
  return values.length > limit ? `${shown}, … (${values.length} in all)` : shown
}

/**
 * The numeric range an INT or FLOAT input declares (infinite where it declares no bound).
 * @example rangeOf(['FLOAT', { min: 0, max: 100 }]) // [0, 100]
 */
export function rangeOf(spec: InputSpec): readonly [number, number] {
  const options = spec[1] ?? {}
  const min = typeof options['min'] === 'number' ? options['min'] : Number.NEGATIVE_INFINITY
  const max = typeof options['max'] === 'number' ? options['max'] : Number.POSITIVE_INFINITY
  return [min, max]
}
