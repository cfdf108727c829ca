/**
 * Workflows as data: a folder holds `workflow.json` (ComfyUI API format) and `bindings.json` (request field →
 * `[node_id, input_name]`). This module reads a folder and fills a graph from a request; the check against
 * ComfyUI's `/object_info` is in `bindings-check.ts`.
 * @module
 */
import { readFile } from 'node:fs/promises'
import { basename, join } from 'node:path'
import type { OutputFormat, ResolvedGenerateRequest } from '@genimage/core'
import type { ComfyGraph } from './protocol.js'

/** Request fields a workflow can bind. */
export type BindableField =
  | 'prompt'
  | 'negative_prompt'
  | 'width'
  | 'height'
  | 'num_inference_steps'
  | 'seed'
  | 'output_format'

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
  /** `bindings.json` as written (keys starting with `$` are comments and dropped). */
  bindings: Record<string, unknown>
}

/** A workflow checked against ComfyUI: ready to build graphs. */
export interface Workflow {
  name: string
  dir: string
  graph: ComfyGraph
  bindings: Partial<Record<BindableField, Binding>>
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
  if (problems.length > 0) throw new WorkflowError(problems, dir)
  const fields = Object.fromEntries(Object.entries(bindings as object).filter(([key]) => !key.startsWith('$')))
  return { name: basename(dir), dir, graph: graph as ComfyGraph, bindings: fields }
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

/**
 * Fills a copy of the workflow's graph with a request's values.
 * @example
 * const graph = buildGraph(workflow, { prompt: 'a fox', width: 512, height: 512, seed: 1, … })
 */
export function buildGraph(workflow: Workflow, input: ResolvedGenerateRequest): ComfyGraph {
  const graph = structuredClone(workflow.graph)
  for (const [field, binding] of Object.entries(workflow.bindings) as [BindableField, Binding][]) {
    const node = graph[binding[0]]
    if (node) node.inputs[binding[1]] = input[field]
  }
  return graph
}
