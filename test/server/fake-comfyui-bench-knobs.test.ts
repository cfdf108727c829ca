import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FakeComfyUI, parseFakeArgs } from '@genimage/fake-comfyui'
import { afterEach, describe, expect, it } from 'vitest'
import { decodeImage } from '../contract/images.js'

const cleanups: (() => Promise<unknown>)[] = []
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!()
})

/** The tutorial's graph: SaveImage (node 27) writes a PNG that the caller reads from ComfyUI's output directory. */
const tutorialGraph = (seed: number) => ({
  '5': { class_type: 'EmptyLatentImage', inputs: { width: 384, height: 256, batch_size: 1 } },
  '6': { class_type: 'CLIPTextEncode', inputs: { text: 'a lantern', clip: ['20', 1] } },
  '7': { class_type: 'CLIPTextEncode', inputs: { text: 'text, watermark', clip: ['20', 1] } },
  '8': { class_type: 'VAEDecode', inputs: { samples: ['13', 0], vae: ['20', 2] } },
  '13': {
    class_type: 'SamplerCustom',
    inputs: {
      add_noise: true,
      noise_seed: seed,
      cfg: 1,
      model: ['20', 0],
      positive: ['6', 0],
      negative: ['7', 0],
      sampler: ['14', 0],
      sigmas: ['22', 0],
      latent_image: ['5', 0],
    },
  },
  '14': { class_type: 'KSamplerSelect', inputs: { sampler_name: 'euler_ancestral' } },
  '20': { class_type: 'CheckpointLoaderSimple', inputs: { ckpt_name: 'sd_xl_turbo_1.0_fp16.safetensors' } },
  '22': { class_type: 'SDTurboScheduler', inputs: { steps: 2, denoise: 1, model: ['20', 0] } },
  '27': { class_type: 'SaveImage', inputs: { filename_prefix: 'bench/ComfyUI', images: ['8', 0] } },
})

describe('fake ComfyUI: what the proxy bench relies on', () => {
  it('writes SaveImage files to --output-directory and reports each prompt’s execution time', async () => {
    const output = await mkdtemp(join(tmpdir(), 'genimage-fake-output-'))
    cleanups.push(() => rm(output, { recursive: true, force: true }))
    const { options } = parseFakeArgs(['--port', '0', '--output-directory', output, '--step-ms', '40'])
    const fake = await FakeComfyUI.start({ ...options, exitOnCrash: false })
    cleanups.push(() => fake.close())

    const queued = await fetch(`${fake.url}/prompt`, {
      method: 'POST',
      body: JSON.stringify({ prompt: tutorialGraph(1) }),
    })
    const { prompt_id: promptId } = (await queued.json()) as { prompt_id: string }
    await fake.waitFor((event) => event.type === 'prompt-finished' && event.promptId === promptId)

    const history = (await (await fetch(`${fake.url}/history/${promptId}`)).json()) as Record<string, any>
    const [saved] = history[promptId].outputs['27'].images as { filename: string; subfolder: string }[]
    expect(saved).toMatchObject({ subfolder: 'bench', filename: 'ComfyUI_00001_.png' })
    const bytes = new Uint8Array(await readFile(join(output, saved!.subfolder, saved!.filename)))
    expect(await decodeImage(bytes)).toEqual({ format: 'png', width: 384, height: 256 })
    const viewed = await fetch(`${fake.url}/view?filename=${saved!.filename}&subfolder=bench&type=output`)
    expect(new Uint8Array(await viewed.arrayBuffer())).toEqual(bytes)

    const executions = (await (await fetch(`${fake.url}/fake/executions`)).json()) as Record<string, unknown>[]
    expect(executions).toEqual([{ prompt_id: promptId, status: 'success', execution_ms: expect.any(Number) }])
    expect(executions[0]!.execution_ms).toBeGreaterThan(0)
  })
})
