import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { ExtraInputs } from '@genimage/core'
import { parseExtraInputs, toExtraInputs } from './extra-inputs.js'
import { WorkflowError } from './workflow.js'

/**
 * The extra inputs a workflow folder's `bindings.json` declares, as `createApp`'s `extraInputs`, read at startup
 * without ComfyUI (an API node has none): the API validates and documents them, the backend binds them. Throws a
 * {@link WorkflowError} naming the file and field of each problem.
 * @example createApp({ queue, store, extraInputs: declaredInputs(config.workflow ?? defaultWorkflowDir()) })
 */
export function declaredInputs(dir: string): ExtraInputs {
  const path = join(dir, 'bindings.json')
  let bindings: unknown
  try {
    bindings = JSON.parse(readFileSync(path, 'utf8'))
  } catch (error) {
    throw new WorkflowError([`bindings.json: cannot read ${path}: ${(error as Error).message}`], dir)
  }
  const section =
    typeof bindings === 'object' && bindings !== null ? (bindings as { inputs?: unknown }).inputs : undefined
  const { inputs, problems } = parseExtraInputs(section)
  if (problems.length > 0) throw new WorkflowError(problems, dir)
  return toExtraInputs(inputs)
}
