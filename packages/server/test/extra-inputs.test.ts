import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ResolvedGenerateRequest } from '@genimage/core'
import { buildObjectInfo } from '@genimage/fake-comfyui'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildGraph,
  checkWorkflow,
  declaredInputs,
  defaultWorkflowDir,
  parseExtraInputs,
  readWorkflowFiles,
  WorkflowError,
  type WorkflowFiles,
} from '../src/comfyui/index.js'

const objectInfo = buildObjectInfo(['sd_xl_turbo_1.0_fp16.safetensors'])
const lookup = async (name: string) => objectInfo[name]

const temps: string[] = []
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true })
})

/** The built-in workflow's files with `inputs` as the `"inputs"` section of its bindings.json. */
async function withInputs(inputs: unknown): Promise<string> {
  const base = await readWorkflowFiles(defaultWorkflowDir())
  const dir = await mkdtemp(join(tmpdir(), 'genimage-extra-inputs-'))
  temps.push(dir)
  await writeFile(join(dir, 'workflow.json'), JSON.stringify(base.graph))
  await writeFile(join(dir, 'bindings.json'), JSON.stringify({ ...base.bindings, inputs }))
  return dir
}

async function problemsOf(action: () => Promise<unknown>): Promise<readonly string[]> {
  const error = await action().catch((e: unknown) => e)
  expect(error).toBeInstanceOf(WorkflowError)
  return (error as WorkflowError).problems
}

const checkProblems = async (inputs: unknown) => {
  const files: WorkflowFiles = await readWorkflowFiles(await withInputs(inputs))
  return problemsOf(() => checkWorkflow(files, lookup))
}

const request: ResolvedGenerateRequest = {
  prompt: 'a fox',
  negative_prompt: 'blur',
  width: 512,
  height: 512,
  num_inference_steps: 1,
  seed: 7,
  output_format: 'png',
  sync_mode: false,
  num_images: 1,
}

describe('the "inputs" section of bindings.json', () => {
  it('parses an input bound to one or several node inputs, its description joining its schema', () => {
    const { inputs, problems } = parseExtraInputs({
      $comment: 'ignored',
      cfg: { schema: { type: 'number', default: 1 }, bind: ['13', 'cfg'], description: 'Guidance.' },
      both: {
        schema: { type: 'integer' },
        bind: [
          ['5', 'width'],
          ['5', 'height'],
        ],
      },
    })
    expect(problems).toEqual([])
    expect(inputs).toEqual([
      { name: 'cfg', schema: { type: 'number', default: 1, description: 'Guidance.' }, binds: [['13', 'cfg']] },
      {
        name: 'both',
        schema: { type: 'integer' },
        binds: [
          ['5', 'width'],
          ['5', 'height'],
        ],
      },
    ])
  })

  it('refuses a name of the contract, naming the file and the field', async () => {
    const dir = await withInputs({ seed: { schema: { type: 'integer' }, bind: ['13', 'noise_seed'] } })
    const problems = await problemsOf(() => readWorkflowFiles(dir))
    expect(problems).toEqual([expect.stringMatching(/^bindings\.json: inputs "seed": is a field of the contract/)])
    expect(() => declaredInputs(dir)).toThrow(/bindings\.json: inputs "seed": is a field of the contract/)
  })

  it('refuses unsupported schema keywords and malformed entries', () => {
    expect(
      parseExtraInputs({
        cfg: { schema: { type: 'number', exclusiveMaximum: 10 }, bind: ['13', 'cfg'] },
        no_bind: { schema: { type: 'number' }, bind: '13.cfg' },
        no_schema: { bind: ['13', 'cfg'], default: 1 },
      }).problems,
    ).toEqual([
      'bindings.json: inputs "cfg": unsupported schema keyword "exclusiveMaximum" (supported: type, description, default, enum, minimum, maximum, multipleOf, minLength, maxLength, pattern)',
      'bindings.json: inputs "no_bind": "bind" must be ["node_id", "input_name"] or a list of them',
      'bindings.json: inputs "no_schema": unknown key default (keys: schema, bind, description)',
      'bindings.json: inputs "no_schema": "schema" must be a JSON Schema object such as {"type": "number", "minimum": 0}',
    ])
    expect(parseExtraInputs([]).problems).toEqual([
      expect.stringMatching(/^bindings\.json: "inputs" must be an object/),
    ])
  })

  it('keeps the shipped bindings files valid: they declare no inputs', async () => {
    for (const name of ['sdxl-turbo', 'sdxl-turbo-png']) {
      expect((await readWorkflowFiles(defaultWorkflowDir(name))).inputs).toEqual([])
      expect(declaredInputs(defaultWorkflowDir(name))).toEqual({})
    }
  })
})

describe('extra inputs checked against /object_info', () => {
  it('names an unknown node and an unknown input', async () => {
    expect(
      await checkProblems({
        a: { schema: { type: 'number' }, bind: ['99', 'cfg'] },
        b: { schema: { type: 'number' }, bind: ['13', 'guidance'] },
      }),
    ).toEqual([
      expect.stringMatching(
        /^bindings\.json: inputs "a" → \["99","cfg"\]: workflow\.json has no node "99" \(nodes: 5, 6, /,
      ),
      expect.stringMatching(
        /^bindings\.json: inputs "b" → \["13","guidance"\]: SamplerCustom has no input "guidance" \(inputs: model, add_noise, noise_seed, cfg, /,
      ),
    ])
  })

  it('names a type that does not fit the node input', async () => {
    expect(
      await checkProblems({
        a: { schema: { type: 'string' }, bind: ['13', 'cfg'] },
        b: { schema: { type: 'number', minimum: 1, maximum: 100 }, bind: ['27', 'quality'] },
        c: { schema: { type: 'integer', minimum: 0, maximum: 1 }, bind: ['13', 'add_noise'] },
        d: { schema: { type: 'string' }, bind: ['14', 'sampler_name'] },
      }),
    ).toEqual([
      'bindings.json: inputs "a" → ["13","cfg"]: SamplerCustom.cfg is FLOAT, but "a" is string (binds to STRING)',
      'bindings.json: inputs "b" → ["27","quality"]: GenimageOutput.quality is INT, but "b" is number (binds to FLOAT)',
      'bindings.json: inputs "c" → ["13","add_noise"]: SamplerCustom.add_noise is BOOLEAN, but "c" is integer (binds to INT or FLOAT)',
      expect.stringMatching(
        /^bindings\.json: inputs "d" → \["14","sampler_name"\]: KSamplerSelect\.sampler_name is a choice of euler, .*; declare "d" as \{"type": "string", "enum": \[\.\.\.\]\} of those$/,
      ),
    ])
    const enumProblems = await checkProblems({
      e: { schema: { type: 'string', enum: ['euler', 'warp_drive'] }, bind: ['14', 'sampler_name'] },
    })
    expect(enumProblems).toEqual([
      expect.stringMatching(
        /^bindings\.json: inputs "e" → .*KSamplerSelect\.sampler_name offers euler, .*, not warp_drive$/,
      ),
    ])
  })

  it('names a node input that another field writes already', async () => {
    expect(
      await checkProblems({
        steps: { schema: { type: 'integer', minimum: 1, maximum: 4 }, bind: ['22', 'steps'] },
        a: { schema: { type: 'number', minimum: 0, maximum: 10 }, bind: ['13', 'cfg'] },
        b: { schema: { type: 'number', minimum: 0, maximum: 10 }, bind: ['13', 'cfg'] },
      }),
    ).toEqual([
      'bindings.json: inputs "steps" → ["22","steps"]: "num_inference_steps" is bound there already; a node input takes one field',
      'bindings.json: inputs "b" → ["13","cfg"]: "a" is bound there already; a node input takes one field',
    ])
  })

  it("names a range wider than the node's", async () => {
    expect(
      await checkProblems({
        a: { schema: { type: 'number', minimum: 0 }, bind: ['13', 'cfg'] },
        b: { schema: { type: 'integer', enum: [1, 20] }, bind: ['27', 'compress_level'] },
      }),
    ).toEqual([
      'bindings.json: inputs "a" → ["13","cfg"]: SamplerCustom.cfg accepts 0…100, but "a" allows 0…Infinity; set "minimum" and "maximum" within it',
      'bindings.json: inputs "b" → ["27","compress_level"]: GenimageOutput.compress_level accepts 0…9, but "b" allows 1…20; set "minimum" and "maximum" within it',
    ])
  })
})

describe('the shipped sdxl-turbo-cfg example', () => {
  it('passes the check and writes cfg and sampler_name into the graph, or leaves the workflow values', async () => {
    const workflow = await checkWorkflow(await readWorkflowFiles(defaultWorkflowDir('sdxl-turbo-cfg')), lookup)
    expect(workflow.inputs.map((input) => input.name)).toEqual(['cfg', 'sampler_name'])
    const graph = buildGraph(workflow, { ...request, extra: { cfg: 2.5, sampler_name: 'lcm' } })
    expect(graph['13']!.inputs['cfg']).toBe(2.5)
    expect(graph['14']!.inputs['sampler_name']).toBe('lcm')
    const plain = buildGraph(workflow, request)
    expect(plain['13']!.inputs['cfg']).toBe(1)
    expect(plain['14']!.inputs['sampler_name']).toBe('euler_ancestral')
    expect(declaredInputs(defaultWorkflowDir('sdxl-turbo-cfg'))['cfg']).toMatchObject({
      type: 'number',
      minimum: 0,
      maximum: 10,
      default: 1,
    })
  })
})
