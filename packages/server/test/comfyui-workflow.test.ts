import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BackendError } from '@genimage/core'
import { buildObjectInfo, FakeComfyUI } from '@genimage/fake-comfyui'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import {
  buildGraph,
  ComfyClient,
  ComfyExecutionError,
  ComfyPromptRejectedError,
  checkWorkflow,
  decodeBinaryFrame,
  defaultWorkflowDir,
  imageInfo,
  installComfyNodes,
  readWorkflowFiles,
  toBackendError,
  WorkflowError,
  type WorkflowFiles,
} from '../src/comfyui/index.js'

const objectInfo = buildObjectInfo(['sd_xl_turbo_1.0_fp16.safetensors'])
const lookup = async (name: string) => objectInfo[name]

const temps: string[] = []
afterEach(async () => {
  for (const dir of temps.splice(0)) await rm(dir, { recursive: true, force: true })
})

async function shipped(name = 'sdxl-turbo'): Promise<WorkflowFiles> {
  return readWorkflowFiles(defaultWorkflowDir(name))
}

async function problemsOf(files: WorkflowFiles): Promise<string> {
  const error = await checkWorkflow(files, lookup).catch((e: unknown) => e)
  expect(error).toBeInstanceOf(WorkflowError)
  return (error as WorkflowError).message
}

describe('workflow bindings', () => {
  it('accepts the shipped workflows and finds their output node', async () => {
    const workflow = await checkWorkflow(await shipped(), lookup)
    expect(workflow.outputNode).toBe('27')
    expect(workflow.formats).toEqual(['png', 'jpeg', 'webp'])
    const png = await checkWorkflow(await shipped('sdxl-turbo-png'), lookup)
    expect(png.formats).toEqual(['png'])
  })

  it('fills the bound inputs of a copy of the graph', async () => {
    const workflow = await checkWorkflow(await shipped(), lookup)
    const graph = buildGraph(workflow, {
      prompt: 'a fox',
      negative_prompt: 'blur',
      width: 768,
      height: 256,
      num_inference_steps: 3,
      seed: 2 ** 53 - 1,
      output_format: 'jpeg',
      sync_mode: false,
      num_images: 1,
    })
    expect(graph['6']?.inputs['text']).toBe('a fox')
    expect(graph['7']?.inputs['text']).toBe('blur')
    expect(graph['5']?.inputs).toMatchObject({ width: 768, height: 256, batch_size: 1 })
    expect(graph['22']?.inputs['steps']).toBe(3)
    expect(graph['13']?.inputs['noise_seed']).toBe(2 ** 53 - 1)
    expect(graph['27']?.inputs['format']).toBe('jpeg')
    expect(workflow.graph['6']?.inputs['text']).toBe('beautiful landscape')
  })

  it('names a binding to an input the class does not have', async () => {
    const files = await shipped()
    files.bindings['seed'] = ['13', 'noise_seed2']
    expect(await problemsOf(files)).toContain(
      'bindings.json: "seed" → ["13","noise_seed2"]: SamplerCustom has no input "noise_seed2" (inputs: model, add_noise, noise_seed, cfg, positive, negative, sampler, sigmas, latent_image)',
    )
  })

  it('names a binding to a missing node, a wrong type, a narrow range and a bad shape, all at once', async () => {
    const files = await shipped()
    files.bindings['prompt'] = ['99', 'text']
    files.bindings['seed'] = ['6', 'text']
    files.bindings['num_inference_steps'] = ['5', 'batch_size']
    files.bindings['width'] = '5.width'
    files.bindings['colour'] = ['5', 'width']
    const message = await problemsOf(files)
    expect(message).toContain(
      'bindings.json: "prompt" → ["99","text"]: workflow.json has no node "99" (nodes: 5, 6, 7, 8, 13, 14, 20, 22, 27, 30, 31, 32, 33, 34)',
    )
    expect(message).toContain(
      'bindings.json: "seed" → ["6","text"]: CLIPTextEncode.text is STRING, but "seed" needs INT',
    )
    expect(message).toContain('bindings.json: "width" → "5.width": must be ["node_id", "input_name"]')
    expect(message).toContain('bindings.json: "colour" is not a request field')
    const steps = await checkWorkflow(
      { ...(await shipped()), bindings: { ...(await shipped()).bindings, seed: ['22', 'steps'] } },
      lookup,
    ).catch((e: Error) => e.message)
    expect(steps).toContain(
      'SDTurboScheduler.steps accepts 1…10, but the API sends "seed" values in 0…9007199254740991',
    )
  })

  it('names unbound required fields, a format choice without jpeg/webp, missing classes and models', async () => {
    const files = await shipped()
    delete files.bindings['height']
    files.graph['20']!.inputs['ckpt_name'] = 'sd_xl_base_1.0.safetensors'
    files.graph['14']!.class_type = 'KSamplerSelectPlus'
    const message = await problemsOf(files)
    expect(message).toContain('bindings.json: "height" is not bound')
    expect(message).toContain(
      'workflow.json: node "20" (CheckpointLoaderSimple) ckpt_name "sd_xl_base_1.0.safetensors" is not one of ComfyUI\'s choices (sd_xl_turbo_1.0_fp16.safetensors)',
    )
    expect(message).toContain(
      'workflow.json: node "14" uses class "KSamplerSelectPlus", which this ComfyUI does not have',
    )

    const png = await shipped('sdxl-turbo-png')
    png.bindings['output_format'] = ['14', 'sampler_name']
    expect(await problemsOf(png)).toContain(
      'bindings.json: "output_format" → ["14","sampler_name"]: KSamplerSelect.sampler_name offers euler,',
    )
  })

  it('reports unreadable files by name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'genimage-wf-'))
    temps.push(dir)
    await writeFile(join(dir, 'workflow.json'), '{ "5": ')
    await writeFile(join(dir, 'bindings.json'), '{}')
    const error = await readWorkflowFiles(dir).catch((e: unknown) => e)
    expect((error as Error).message).toContain('workflow.json: not valid JSON')
  })

  it('installs the custom node into <comfyui>/custom_nodes, replacing an older copy', async () => {
    const comfy = await mkdtemp(join(tmpdir(), 'genimage-comfy-'))
    temps.push(comfy)
    const [installed] = await installComfyNodes(comfy)
    expect(installed).toBe(join(comfy, 'custom_nodes', 'genimage_output'))
    const source = await readFile(join(installed!, '__init__.py'), 'utf8')
    expect(source).toContain('class GenimageOutput')
    expect(source).toContain('GENIMAGE_IMAGE = 0x47454E49')
    await writeFile(join(installed!, 'stale.py'), 'old')
    await installComfyNodes(comfy)
    await expect(stat(join(installed!, 'stale.py'))).rejects.toThrow()
  })
})

describe('protocol helpers', () => {
  it('reads format and size from PNG, JPEG and WebP headers', async () => {
    const raw = sharp({ create: { width: 40, height: 24, channels: 3, background: '#3366cc' } })
    expect(imageInfo(await raw.clone().png().toBuffer())).toEqual({ contentType: 'image/png', width: 40, height: 24 })
    expect(imageInfo(await raw.clone().jpeg().toBuffer())).toEqual({ contentType: 'image/jpeg', width: 40, height: 24 })
    expect(imageInfo(await raw.clone().webp().toBuffer())).toEqual({ contentType: 'image/webp', width: 40, height: 24 })
    expect(imageInfo(await raw.clone().webp({ lossless: true }).toBuffer())).toMatchObject({ width: 40, height: 24 })
    expect(imageInfo(new Uint8Array([1, 2, 3]))).toBeUndefined()
  })

  it('decodes binary frames of type 1, 3, 4 and GENI', () => {
    const u32 = (n: number) => {
      const b = Buffer.alloc(4)
      b.writeUInt32BE(n)
      return b
    }
    const image = Buffer.from([0x89, 0x50])
    const type1 = decodeBinaryFrame(Buffer.concat([u32(1), u32(1), image]))
    expect(type1).toMatchObject({ kind: 'image', contentType: 'image/jpeg' })
    expect(type1.kind === 'image' && [...type1.bytes]).toEqual([0x89, 0x50])
    const meta = Buffer.from(JSON.stringify({ prompt_id: 'p', node_id: '9', image_type: 'image/png' }))
    expect(decodeBinaryFrame(Buffer.concat([u32(4), u32(meta.length), meta, image]))).toMatchObject({
      promptId: 'p',
      nodeId: '9',
      contentType: 'image/png',
    })
    const geni = Buffer.from(JSON.stringify({ prompt_id: 'q', node_id: '27', content_type: 'image/webp' }))
    expect(decodeBinaryFrame(Buffer.concat([u32(0x47454e49), u32(geni.length), geni, image]))).toMatchObject({
      promptId: 'q',
      contentType: 'image/webp',
    })
    expect(decodeBinaryFrame(Buffer.concat([u32(3), u32(2), Buffer.from('13hello')]))).toEqual({
      kind: 'text',
      nodeId: '13',
      text: 'hello',
    })
  })

  it('maps failures to backend error kinds', () => {
    const base = { prompt_id: 'p', node_id: '13', node_type: 'SamplerCustom', exception_message: 'boom\n' }
    expect(toBackendError(new ComfyExecutionError({ ...base, exception_type: 'RuntimeError' })).kind).toBe(
      'execution_failed',
    )
    expect(toBackendError(new ComfyExecutionError({ ...base, exception_type: 'torch.OutOfMemoryError' })).kind).toBe(
      'out_of_memory',
    )
    const rejected = new ComfyPromptRejectedError(undefined, {
      '22': {
        class_type: 'SDTurboScheduler',
        dependent_outputs: ['27'],
        errors: [{ type: 'value_bigger_than_max', message: 'Value 11 bigger than max of 10', details: 'steps' }],
      },
    })
    const mapped = toBackendError(rejected)
    expect(mapped).toBeInstanceOf(BackendError)
    expect(mapped.kind).toBe('invalid_input')
    expect(mapped.message).toContain('node 22 (SDTurboScheduler): Value 11 bigger than max of 10: steps')
  })

  it('rejects a run whose graph ComfyUI refuses, with the node errors', async () => {
    const fake = await FakeComfyUI.start()
    const client = new ComfyClient({ baseUrl: fake.url })
    try {
      await client.connect()
      const workflow = await checkWorkflow(await shipped(), lookup)
      const graph = structuredClone(workflow.graph)
      graph['22']!.inputs['steps'] = 11
      const error = await client.run(graph, { outputNode: '27' }).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(ComfyPromptRejectedError)
      expect((error as ComfyPromptRejectedError).nodeErrors['22']?.class_type).toBe('SDTurboScheduler')
      expect(fake.queue.pending).toHaveLength(0)
    } finally {
      await client.close()
      await fake.close()
    }
  })
})
