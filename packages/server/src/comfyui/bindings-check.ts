/**
 * Checks a workflow folder against the ComfyUI it will run on (`/object_info`), at startup, and names every bad
 * binding: the node is missing from the workflow, its class from ComfyUI, the input from the class, or the input's
 * type or range does not fit the request field.
 * @module
 */
import { MAX_SEED, type OutputFormat } from '@genimage/core'
import { extraInputBindingProblems } from './extra-inputs.js'
import { comboOptions, inputsOf, listOf, rangeOf, specOf, typeName } from './node-inputs.js'
import type { InputSpec, NodeInfo } from './protocol.js'
import { type BindableField, type Binding, type Workflow, WorkflowError, type WorkflowFiles } from './workflow.js'

interface FieldSpec {
  kind: 'STRING' | 'INT' | 'FLOAT' | 'FORMAT'
  required: boolean
  /** The values the API can send (openapi/genimage.yaml). */
  range?: readonly [number, number]
}

/** What each request field needs from the input it is bound to. */
export const FIELD_SPECS: Record<BindableField, FieldSpec> = {
  prompt: { kind: 'STRING', required: true },
  negative_prompt: { kind: 'STRING', required: false },
  width: { kind: 'INT', required: true, range: [256, 1024] },
  height: { kind: 'INT', required: true, range: [256, 1024] },
  num_inference_steps: { kind: 'INT', required: true, range: [1, 4] },
  seed: { kind: 'INT', required: true, range: [0, MAX_SEED] },
  output_format: { kind: 'FORMAT', required: false },
  image: { kind: 'STRING', required: false },
  strength: { kind: 'FLOAT', required: false, range: [0, 1] },
}

const FORMATS: readonly OutputFormat[] = ['png', 'jpeg', 'webp']

/** Looks up one class in ComfyUI (undefined when it has none). */
export type NodeInfoLookup = (className: string) => Promise<NodeInfo | undefined>

/**
 * Checks the workflow against ComfyUI's classes and returns it ready to use, or throws a {@link WorkflowError}
 * naming every problem, for example
 * `bindings.json: "seed" → ["13","noise_seed2"]: SamplerCustom has no input "noise_seed2" (inputs: model, add_noise, …)`.
 * @example
 * const workflow = await checkWorkflow(await readWorkflowFiles(dir), (name) => http.getNodeInfo(name))
 */
export async function checkWorkflow(files: WorkflowFiles, lookup: NodeInfoLookup): Promise<Workflow> {
  const problems: string[] = []
  const { graph } = files
  const classes = [...new Set(Object.values(graph).map((node) => node.class_type))]
  const infos = new Map<string, NodeInfo>()
  await Promise.all(
    classes.map(async (name) => {
      const info = await lookup(name)
      if (info) infos.set(name, info)
    }),
  )
  const nodeIds = Object.keys(graph)

  for (const [id, node] of Object.entries(graph)) {
    if (!infos.has(node.class_type)) {
      problems.push(
        `workflow.json: node "${id}" uses class "${node.class_type}", which this ComfyUI does not have (custom node not installed or failed to import?)`,
      )
    }
  }

  const bindings: Partial<Record<BindableField, Binding>> = {}
  const boundInputs = new Set<string>()
  for (const [field, raw] of Object.entries(files.bindings)) {
    const spec = FIELD_SPECS[field as BindableField]
    const shown = JSON.stringify(raw)
    const prefix = `bindings.json: "${field}" → ${shown}`
    if (!spec) {
      problems.push(`bindings.json: "${field}" is not a request field (fields: ${Object.keys(FIELD_SPECS).join(', ')})`)
      continue
    }
    if (!Array.isArray(raw) || raw.length !== 2 || typeof raw[0] !== 'string' || typeof raw[1] !== 'string') {
      problems.push(`${prefix}: must be ["node_id", "input_name"]`)
      continue
    }
    const [nodeId, input] = raw as [string, string]
    const node = graph[nodeId]
    if (!node) {
      problems.push(`${prefix}: workflow.json has no node "${nodeId}" (nodes: ${nodeIds.join(', ')})`)
      continue
    }
    const info = infos.get(node.class_type)
    if (!info) {
      problems.push(`${prefix}: ComfyUI has no class "${node.class_type}"`)
      continue
    }
    const inputSpec = specOf(info, input)
    if (!inputSpec) {
      problems.push(`${prefix}: ${node.class_type} has no input "${input}" (inputs: ${inputsOf(info).join(', ')})`)
      continue
    }
    const problem = fieldProblem(field as BindableField, spec, node.class_type, input, inputSpec)
    if (problem) {
      problems.push(`${prefix}: ${problem}`)
      continue
    }
    bindings[field as BindableField] = [nodeId, input]
    boundInputs.add(`${nodeId}.${input}`)
  }
  for (const [field, spec] of Object.entries(FIELD_SPECS)) {
    if (spec.required && !(field in files.bindings)) {
      problems.push(
        `bindings.json: "${field}" is not bound; every request sets it, so bind it to ["node_id", "input_name"]`,
      )
    }
  }

  problems.push(...extraInputBindingProblems(files.inputs, files.bindings, graph, (className) => infos.get(className)))

  // Constant choices (checkpoint names, samplers) must be among ComfyUI's: catches a missing model at startup.
  for (const [id, node] of Object.entries(graph)) {
    const info = infos.get(node.class_type)
    if (!info) continue
    for (const [input, value] of Object.entries(node.inputs)) {
      if (Array.isArray(value) || boundInputs.has(`${id}.${input}`)) continue
      const spec = specOf(info, input)
      const options = spec ? comboOptions(spec) : undefined
      if (options && !options.includes(value)) {
        problems.push(
          `workflow.json: node "${id}" (${node.class_type}) ${input} ${JSON.stringify(value)} is not one of ComfyUI's choices (${listOf(options)})`,
        )
      }
    }
  }

  const outputs = Object.entries(graph).filter(([, node]) => infos.get(node.class_type)?.output_node === true)
  if (outputs.length !== 1 && problems.length === 0) {
    const found = outputs.map(([id, node]) => `${id} ${node.class_type}`).join(', ') || 'none'
    problems.push(`workflow.json: needs exactly one output node, found ${outputs.length} (${found})`)
  }
  if (problems.length > 0) throw new WorkflowError(problems, files.dir)
  return {
    name: files.name,
    dir: files.dir,
    graph,
    bindings,
    inputs: files.inputs,
    outputNode: outputs[0]![0],
    formats: bindings.output_format ? FORMATS : ['png'],
  }
}

function fieldProblem(
  field: BindableField,
  spec: FieldSpec,
  className: string,
  input: string,
  inputSpec: InputSpec,
): string | undefined {
  const where = `${className}.${input}`
  if (spec.kind === 'FORMAT') {
    const options = comboOptions(inputSpec)
    if (!options) return `${where} is ${typeName(inputSpec)}, but "${field}" needs a choice of ${FORMATS.join(', ')}`
    const missing = FORMATS.filter((format) => !options.includes(format))
    if (missing.length > 0) return `${where} offers ${listOf(options)}, missing ${missing.join(', ')}`
    return undefined
  }
  if (inputSpec[0] !== spec.kind) return `${where} is ${typeName(inputSpec)}, but "${field}" needs ${spec.kind}`
  if (spec.range) {
    const [min, max] = rangeOf(inputSpec)
    const [lo, hi] = spec.range
    if (min > lo || max < hi) {
      return `${where} accepts ${min}…${max}, but the API sends "${field}" values in ${lo}…${hi}`
    }
  }
  return undefined
}
