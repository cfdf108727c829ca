/**
 * Workflows as data: a folder holds `workflow.json` (ComfyUI API format) and `bindings.json` (request field →
 * `[node_id, input_name]`). This module reads a folder and fills a graph from a request; the check against
 * ComfyUI's `/object_info` is in `bindings-check.ts`.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import { type OutputFormat, type ResolvedGenerateRequest, samplingSteps } from '@genimage/core'
import { bindExtraInputs, type ExtraInput, parseExtraInputs } from './extra-inputs.js'
import type { ComfyGraph } from './protocol.js'

/**
 * Request fields a workflow can bind. An image-to-image workflow also binds `image` (the input picture, base64) and
 * `strength` (the sampler's denoise); its `num_inference_steps` gets the steps actually sampled,
 * `floor(strength × num_inference_steps)`.
 */
export type BindableField =
  | 'prompt'
  | 'negative_prompt'
  | 'width'
  | 'height'
  | 'num_inference_steps'
  | 'seed'
  | 'output_format'
  | 'image'
  | 'strength'

/** A binding: the node id and the input name a request field is written to. */
export type Binding = readonly [nodeId: string, inputName: string]

/** A workflow folder as read from disk, not yet checked against ComfyUI. */
export interface WorkflowFiles {
  /** The folder name, used in logs. */
  name: string
  /** The folder. */
  dir: string
  /** `workflow.json`. */
  graph: ComfyGraph
  /** `bindings.json` as written (keys starting with `$` are comments and dropped), less its `inputs`. */
  bindings: Record<string, unknown>
  /** The extra inputs its `inputs` section declares. */
  inputs: readonly ExtraInput[]
}

/** A workflow checked against ComfyUI: ready to build graphs. */
export interface Workflow {
  name: string
  dir: string
  graph: ComfyGraph
  bindings: Partial<Record<BindableField, Binding>>
  /** Extra inputs: request fields beyond the contract's, each bound to node inputs. */
  inputs: readonly ExtraInput[]
  /** The node whose image is the result. */
  outputNode: string
  /** Formats the workflow can produce (all three when `output_format` is bound, else what its output node writes). */
  formats: readonly OutputFormat[]
}

/** A workflow folder that is unreadable or does not fit ComfyUI; the message names every problem. */
export class WorkflowError extends Error {
  override readonly name = 'WorkflowError'
  constructor(
    /** One line per problem. */
    readonly problems: readonly string[],
    /** The workflow folder. */
    readonly dir: string,
  ) {
    super(`workflow ${dir}:\n  ${problems.join('\n  ')}`)
  }
}

async function readJson(dir: string, file: string): Promise<unknown> {
  const path = join(dir, file)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    throw new WorkflowError([`${file}: cannot read ${path}: ${(error as Error).message}`], dir)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new WorkflowError([`${file}: not valid JSON: ${(error as Error).message}`], dir)
  }
}

/**
 * Reads `workflow.json` and `bindings.json` from a folder.
 * @example
 * const files = await readWorkflowFiles(defaultWorkflowDir())
 */
export async function readWorkflowFiles(dir: string): Promise<WorkflowFiles> {
  const graph = await readJson(dir, 'workflow.json')
  const bindings = await readJson(dir, 'bindings.json')
  const problems: string[] = []
  if (graph === null || typeof graph !== 'object' || Array.isArray(graph)) {
    problems.push('workflow.json: must be an object of node id → {class_type, inputs} (ComfyUI "API format")')
  } else {
    for (const [id, node] of Object.entries(graph)) {
      const n = node as { class_type?: unknown; inputs?: unknown }
      if (typeof n?.class_type !== 'string' || n.inputs === null || typeof n.inputs !== 'object') {
        problems.push(`workflow.json: node "${id}" needs a class_type string and an inputs object`)
      }
    }
  }
  if (bindings === null || typeof bindings !== 'object' || Array.isArray(bindings)) {
    problems.push('bindings.json: must be an object of request field → ["node_id", "input_name"]')
  }
  const { inputs: section, ...fields } = (bindings ?? {}) as Record<string, unknown>
  const extra = parseExtraInputs(section)
  problems.push(...extra.problems)
  if (problems.length > 0) throw new WorkflowError(problems, dir)
  const bound = Object.fromEntries(Object.entries(fields).filter(([key]) => !key.startsWith('$')))
  return { name: basename(dir), dir, graph: graph as ComfyGraph, bindings: bound, inputs: extra.inputs }
}

/**
 * The folder of the workflow shipped with the server (`workflows/sdxl-turbo`), from sources or from a build.
 * @example
 * const workflow = await loadWorkflow(defaultWorkflowDir(), http)
 */
export function defaultWorkflowDir(name = 'sdxl-turbo'): string {
  // src/comfyui/workflow.ts and dist/<chunk>.js both sit two or one levels below the package root.
  const here = new URL('.', import.meta.url)
  const fromSource = new URL(`../../workflows/${name}/`, here)
  const fromDist = new URL(`../workflows/${name}/`, here)
  return decodeURIComponent((here.pathname.includes('/src/') ? fromSource : fromDist).pathname)
}

/** The value a bound field gets: the request's, the sampled step count, or the input picture's base64. */
function boundValue(field: BindableField, input: ResolvedGenerateRequest, image: string | undefined): unknown {
  if (field === 'image') return image
  if (field === 'num_inference_steps') return samplingSteps(input)
  return input[field]
}

/**
 * Fills a copy of the workflow's graph with a request's values (and, for image-to-image, the input picture as
 * base64).
 * @example
 * const graph = buildGraph(workflow, { prompt: 'a fox', width: 512, height: 512, seed: 1, … })
 */
export function buildGraph(workflow: Workflow, input: ResolvedGenerateRequest, image?: string): ComfyGraph {
  const graph = structuredClone(workflow.graph)
  for (const [field, binding] of Object.entries(workflow.bindings) as [BindableField, Binding][]) {
    const node = graph[binding[0]]
    const value = boundValue(field, input, image)
    if (node && value !== undefined) node.inputs[binding[1]] = value
  }
  bindExtraInputs(graph, workflow.inputs, input.extra)
  return graph
}

/** Classes that only make a workflow faster (same pixels): the plain path (`FAST_PATH=0`) bypasses them. */
export const FAST_PATH_CLASSES: readonly string[] = [
  'GenimageCudaGraph',
  'GenimageCudaGraphClip',
  'GenimageCudaGraphVae',
]

/**
 * The plain path of a workflow: every {@link FAST_PATH_CLASSES} node bypassed (whatever read its output reads its
 * first linked input instead) and `fast: false` on GenimageOutput (Pillow encoders, one thread).
 * @example const plain = plainPath(files) // then checkWorkflow(plain, lookup)
 */
export function plainPath(files: WorkflowFiles): WorkflowFiles {
  const graph = structuredClone(files.graph)
  const bypass = new Map<string, unknown>()
  for (const [id, node] of Object.entries(graph)) {
    if (!FAST_PATH_CLASSES.includes(node.class_type)) continue
    const source = Object.values(node.inputs).find((value) => Array.isArray(value))
    if (source) bypass.set(id, source)
  }
  const resolve = (value: unknown): unknown => {
    let current = value
    while (Array.isArray(current) && bypass.has(String(current[0]))) current = bypass.get(String(current[0]))
    return current
  }
  for (const id of bypass.keys()) delete graph[id]
  for (const node of Object.values(graph)) {
    for (const [input, value] of Object.entries(node.inputs)) node.inputs[input] = resolve(value)
    if (node.class_type === 'GenimageOutput') node.inputs['fast'] = false
  }
  return { ...files, graph }
}

/** Where a batched prompt differs from a single one (node ids of the workflow). */
export interface BatchPlan {
  /** The CLIPTextEncode nodes of `prompt` and `negative_prompt`, each becoming a GenimageBatchTextEncode. */
  textNodes: Partial<Record<'prompt' | 'negative_prompt', string>>
  /** The SamplerCustom node of `seed`, becoming a GenimageBatchSampler. */
  samplerNode: string
  /** The node feeding the sampler's latent, whose `batchInput` is the number of images. */
  latentNode: string
  /** `batch_size` (EmptyLatentImage) or `amount` (RepeatLatentBatch, image-to-image). */
  batchInput: 'batch_size' | 'amount'
}

/** Classes a batched prompt needs in ComfyUI (our custom nodes). */
export const BATCH_CLASSES: readonly string[] = ['GenimageBatchTextEncode', 'GenimageBatchSampler']

/**
 * How to batch requests in this workflow, or why not: the prompts must go through CLIPTextEncode, the seed through
 * SamplerCustom, the sampler's latent must come from a node with a `batch_size` (EmptyLatentImage) or an `amount`
 * (RepeatLatentBatch), and the output node must be GenimageOutput (one frame per image).
 * @example const plan = batchPlan(workflow); if (typeof plan === 'string') log(`no batching: ${plan}`)
 */
export function batchPlan(workflow: Workflow): BatchPlan | string {
  const nodeOf = (field: BindableField) => {
    const binding = workflow.bindings[field]
    return binding ? { id: binding[0], input: binding[1], node: workflow.graph[binding[0]] } : undefined
  }
  const textNodes: BatchPlan['textNodes'] = {}
  for (const field of ['prompt', 'negative_prompt'] as const) {
    const bound = nodeOf(field)
    if (!bound) continue
    if (bound.node?.class_type !== 'CLIPTextEncode' || bound.input !== 'text') {
      return `${field} is not bound to a CLIPTextEncode text`
    }
    textNodes[field] = bound.id
  }
  const seed = nodeOf('seed')
  if (seed?.node?.class_type !== 'SamplerCustom' || seed.input !== 'noise_seed') {
    return 'seed is not bound to a SamplerCustom noise_seed'
  }
  const link = seed.node.inputs['latent_image']
  const latentNode = Array.isArray(link) ? String(link[0]) : ''
  const latent = workflow.graph[latentNode]
  const batchInput = !latent
    ? undefined
    : 'batch_size' in latent.inputs
      ? 'batch_size'
      : latent.class_type === 'RepeatLatentBatch'
        ? 'amount'
        : undefined
  if (!batchInput)
    return 'the latent of the sampler has no batch_size (EmptyLatentImage) nor amount (RepeatLatentBatch)'
  if (workflow.graph[workflow.outputNode]?.class_type !== 'GenimageOutput')
    return 'the output node is not GenimageOutput'
  return { textNodes, samplerNode: seed.id, latentNode, batchInput }
}

/**
 * One prompt for several images of the same size, steps and format (and input picture, for image-to-image):
 * per-image texts and seeds, latent batch of `inputs.length`; the output node sends image i for input i.
 * @example const graph = buildBatchGraph(workflow, plan, [a.input, b.input])
 */
export function buildBatchGraph(
  workflow: Workflow,
  plan: BatchPlan,
  inputs: readonly ResolvedGenerateRequest[],
  image?: string,
): ComfyGraph {
  const graph = buildGraph(workflow, inputs[0]!, image)
  for (const [field, id] of Object.entries(plan.textNodes) as ['prompt' | 'negative_prompt', string][]) {
    const node = graph[id]!
    graph[id] = {
      ...node,
      class_type: 'GenimageBatchTextEncode',
      inputs: { clip: node.inputs['clip'], texts: JSON.stringify(inputs.map((input) => input[field])) },
    }
  }
  const sampler = graph[plan.samplerNode]!
  const { noise_seed: _seed, ...samplerInputs } = sampler.inputs
  graph[plan.samplerNode] = {
    ...sampler,
    class_type: 'GenimageBatchSampler',
    inputs: { ...samplerInputs, seeds: JSON.stringify(inputs.map((input) => input.seed)) },
  }
  graph[plan.latentNode]!.inputs[plan.batchInput] = inputs.length
  return graph
}
