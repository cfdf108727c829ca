/**
 * What each fake node "computes": cheap descriptions flow along the links (a latent is a size, an image is a size,
 * a seed and a prompt), the sampler ticks progress once per step, and the output nodes encode real images.
 * @module
 */

import { createHash } from 'node:crypto'
import { sniffImage } from '@genimage/core'
import { CONTENT_TYPES, encodeFakeImage, type FakeImage, type FakeImageFormat } from './images.js'
import {
  GENIMAGE_BATCH_CLASSES,
  GENIMAGE_CLIP_FP16_CLASS,
  GENIMAGE_GRAPH_CLASSES,
  GENIMAGE_LOAD_CLASS,
  GENIMAGE_OUTPUT_CLASS,
  GENIMAGE_VAE_CLASSES,
} from './object-info.js'
import { genimageFrame } from './sequence.js'

/** What a node may do while it runs; the executor implements it. */
export interface NodeContext {
  readonly promptId: string
  readonly nodeId: string
  /** Sleeps the configured time of an ordinary node (no interrupt check, like a node without a progress bar). */
  work(): Promise<void>
  /** Sleeps the model load time the first time this checkpoint is used (and after an OOM unloaded everything). */
  loadModel(name: string): Promise<void>
  /** Sleeps one sampler step. */
  step(): Promise<void>
  /** `ProgressBar.update_absolute`: checks the interrupt flag, then sends the progress messages (and preview). */
  progress(value: number, max: number, preview?: { format: 'PNG' | 'JPEG'; bytes: Uint8Array }): Promise<void>
  /** `PromptServer.instance.send_sync(<int>, bytes, server.client_id)`. */
  sendBinary(frame: Buffer): void
  /** Writes a file ComfyUI would put on disk (served by `GET /view`). */
  saveFile(type: 'output' | 'temp', subfolder: string, filename: string, bytes: Uint8Array): void
  /** Next free `_NNNNN_` counter for a SaveImage prefix (`get_save_image_path`). */
  nextCounter(subfolder: string, prefix: string): number
}

/** What a node returns: one value per output slot, and the ui dict of an output node. */
export interface NodeResult {
  outputs: unknown[]
  ui?: Record<string, unknown>
}

/** One fake node class. */
export type NodeBehaviour = (inputs: Record<string, unknown>, ctx: NodeContext) => Promise<NodeResult>

interface Latent {
  width: number
  height: number
  batch: number
  seed: number
  prompt: string
  /** Per-item seed and prompt of a batched sample (GenimageBatchSampler); absent: `seed + i`, `prompt`. */
  items?: { seed: number; prompt: string }[]
  /** Encoded from an input image (VAEEncode): the SHA-256 of its bytes. */
  source?: string
  /** The denoise it was sampled with, when it came from an input image. */
  strength?: number
}

/** What SDTurboScheduler's sigmas stand for: the steps they hold and the denoise they start at. */
interface Sigmas {
  steps: number
  denoise: number
}

/** `SDTurboScheduler`: `timesteps[10 - int(10 × denoise)][:steps]` of 10, so a low denoise holds fewer steps. */
function turboSteps(steps: number, denoise: number): number {
  const start = 10 - Math.trunc(10 * denoise)
  return Math.max(0, Math.min(steps, 10 - start))
}

/** A sampled latent keeps its input image and takes the sigmas' denoise as its strength. */
const sampledFrom = (latent: Latent, sigmas: Sigmas | undefined): Partial<Latent> =>
  latent.source === undefined ? {} : { strength: sigmas?.denoise ?? 1 }

/** `GenimageLoadImage` fails as load.py does: a ValueError naming what did not decode. */
class LoadImageError extends Error {
  readonly exceptionType = 'ValueError'
}

/** A conditioning: one text, or one per batch item (GenimageBatchTextEncode). */
interface Conditioning {
  text?: string
  texts?: string[]
}

const str = (v: unknown) => (typeof v === 'string' ? v : '')
const num = (v: unknown, fallback = 0) => (typeof v === 'number' ? v : fallback)

function images(value: unknown): FakeImage[] {
  return Array.isArray(value) ? (value as FakeImage[]) : []
}

/** The behaviour of every class in the fake's `/object_info`. */
/** Our speed-up and precision nodes (X → X): the fake returns what it was given, after the node's work time. */
const passThrough =
  (input: string): NodeBehaviour =>
  async (inputs, ctx) => {
    await ctx.work()
    return { outputs: [inputs[input]] }
  }

export const NODE_BEHAVIOURS: Record<string, NodeBehaviour> = {
  async CheckpointLoaderSimple(inputs, ctx) {
    const name = str(inputs['ckpt_name'])
    await ctx.loadModel(name)
    return { outputs: [{ model: name }, { clip: name }, { vae: name }] }
  },
  async CLIPTextEncode(inputs, ctx) {
    await ctx.work()
    return { outputs: [{ text: str(inputs['text']) }] }
  },
  async EmptyLatentImage(inputs, ctx) {
    await ctx.work()
    // torch.zeros([batch, 4, height // 8, width // 8]): sizes floor to multiples of 8.
    const latent: Latent = {
      width: Math.floor(num(inputs['width'], 512) / 8) * 8,
      height: Math.floor(num(inputs['height'], 512) / 8) * 8,
      batch: num(inputs['batch_size'], 1),
      seed: 0,
      prompt: '',
    }
    return { outputs: [latent] }
  },
  async KSamplerSelect(inputs, ctx) {
    await ctx.work()
    return { outputs: [{ sampler: str(inputs['sampler_name']) }] }
  },
  async SDTurboScheduler(inputs, ctx) {
    await ctx.work()
    const denoise = num(inputs['denoise'], 1)
    const sigmas: Sigmas = { steps: turboSteps(num(inputs['steps'], 1), denoise), denoise }
    return { outputs: [sigmas] }
  },
  async ImageScale(inputs, ctx) {
    await ctx.work()
    const batch = images(inputs['image'])
    const scaled = batch.map((image) => {
      let width = num(inputs['width'])
      let height = num(inputs['height'])
      if (width === 0 && height === 0) return image
      if (width === 0) width = Math.max(1, Math.round((image.width * height) / image.height))
      if (height === 0) height = Math.max(1, Math.round((image.height * width) / image.width))
      return { ...image, width, height }
    })
    return { outputs: [scaled] }
  },
  async VAEEncode(inputs, ctx) {
    await ctx.work()
    const batch = images(inputs['pixels'])
    const first = batch[0]
    // vae_encode_crop_pixels: sizes floor to multiples of 8.
    const latent: Latent = {
      width: Math.floor((first?.width ?? 8) / 8) * 8,
      height: Math.floor((first?.height ?? 8) / 8) * 8,
      batch: batch.length,
      seed: 0,
      prompt: '',
      ...(first?.source === undefined ? {} : { source: first.source }),
    }
    return { outputs: [latent] }
  },
  async RepeatLatentBatch(inputs, ctx) {
    await ctx.work()
    const latent = inputs['samples'] as Latent
    return { outputs: [{ ...latent, batch: latent.batch * num(inputs['amount'], 1) }] }
  },
  async [GENIMAGE_LOAD_CLASS](inputs, ctx) {
    await ctx.work()
    const text = str(inputs['image'])
    const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0 ? Buffer.from(text, 'base64') : undefined
    const sniffed = bytes && bytes.length > 0 ? sniffImage(bytes) : 'Incorrect padding'
    if (typeof sniffed === 'string') {
      throw new LoadImageError(`genimage: the input image cannot be decoded: ${sniffed}`)
    }
    const source = createHash('sha256').update(bytes!).digest('hex')
    const image: FakeImage = { width: sniffed.width, height: sniffed.height, seed: 0, prompt: '', source }
    return { outputs: [[image]] }
  },
  async SamplerCustom(inputs, ctx) {
    const sigmas = inputs['sigmas'] as Sigmas | undefined
    const steps = num(sigmas?.steps, 1)
    for (let i = 0; i < steps; i++) {
      await ctx.step()
      await ctx.progress(i + 1, steps)
    }
    const latent = {
      ...(inputs['latent_image'] as Latent),
      ...sampledFrom(inputs['latent_image'] as Latent, sigmas),
      seed: num(inputs['noise_seed']),
      prompt: str((inputs['positive'] as { text?: string } | undefined)?.text),
    }
    return { outputs: [latent, latent] }
  },
  async VAEDecode(inputs, ctx) {
    await ctx.work()
    const latent = inputs['samples'] as Latent
    const batch: FakeImage[] = []
    for (let i = 0; i < latent.batch; i++) {
      const item = latent.items?.[i] ?? { seed: latent.seed + i, prompt: latent.prompt }
      const from = latent.source === undefined ? {} : { source: latent.source, strength: latent.strength ?? 1 }
      batch.push({ width: latent.width, height: latent.height, ...item, ...from })
    }
    return { outputs: [batch] }
  },
  [GENIMAGE_GRAPH_CLASSES.model]: passThrough('model'),
  [GENIMAGE_GRAPH_CLASSES.clip]: passThrough('clip'),
  [GENIMAGE_CLIP_FP16_CLASS]: passThrough('clip'),
  [GENIMAGE_VAE_CLASSES.groupNorm]: passThrough('vae'),
  [GENIMAGE_VAE_CLASSES.graph]: passThrough('vae'),
  async [GENIMAGE_BATCH_CLASSES.text](inputs, ctx) {
    await ctx.work()
    const texts = JSON.parse(str(inputs['texts']) || '[]') as string[]
    // All equal: one row (ComfyUI repeats it over the batch), as the real node does.
    const conditioning: Conditioning = new Set(texts).size === 1 ? { text: texts[0]! } : { texts }
    return { outputs: [conditioning] }
  },
  async [GENIMAGE_BATCH_CLASSES.sampler](inputs, ctx) {
    const sigmas = inputs['sigmas'] as Sigmas | undefined
    const steps = num(sigmas?.steps, 1)
    const latent = inputs['latent_image'] as Latent
    const seeds = JSON.parse(str(inputs['seeds']) || '[]') as number[]
    if (seeds.length !== latent.batch) throw new Error(`${seeds.length} seeds for a batch of ${latent.batch} latents`)
    for (let i = 0; i < steps; i++) {
      await ctx.step()
      await ctx.progress(i + 1, steps)
    }
    const positive = (inputs['positive'] ?? {}) as Conditioning
    const items = seeds.map((seed, i) => ({ seed, prompt: positive.texts?.[i] ?? str(positive.text) }))
    const out: Latent = {
      ...latent,
      ...sampledFrom(latent, sigmas),
      seed: seeds[0] ?? 0,
      prompt: items[0]?.prompt ?? '',
      items,
    }
    return { outputs: [out, out] }
  },
  async SaveImage(inputs, ctx) {
    await ctx.work()
    const prefixPath = str(inputs['filename_prefix']) || 'ComfyUI'
    const slash = prefixPath.lastIndexOf('/')
    const subfolder = slash >= 0 ? prefixPath.slice(0, slash) : ''
    const prefix = slash >= 0 ? prefixPath.slice(slash + 1) : prefixPath
    let counter = ctx.nextCounter(subfolder, prefix)
    const results = images(inputs['images']).map((image, batchNumber) => {
      const filename = `${prefix.replaceAll('%batch_num%', String(batchNumber))}_${String(counter++).padStart(5, '0')}_.png`
      ctx.saveFile('output', subfolder, filename, encodeFakeImage(image, 'png'))
      return { filename, subfolder, type: 'output' }
    })
    return { outputs: [], ui: { images: results } }
  },
  async SaveImageWebsocket(inputs, ctx) {
    const batch = images(inputs['images'])
    for (const [step, image] of batch.entries()) {
      await ctx.progress(step, batch.length, { format: 'PNG', bytes: encodeFakeImage(image, 'png') })
    }
    return { outputs: [] }
  },
  async [GENIMAGE_OUTPUT_CLASS](inputs, ctx) {
    const batch = images(inputs['images'])
    const format = (str(inputs['format']) || 'png') as FakeImageFormat
    for (const [index, image] of batch.entries()) {
      const started = performance.now()
      const bytes = encodeFakeImage(image, format, num(inputs['quality'], 90))
      const metadata = {
        prompt_id: ctx.promptId,
        node_id: ctx.nodeId,
        content_type: CONTENT_TYPES[format],
        width: image.width,
        height: image.height,
        index,
        count: batch.length,
        encode_ms: Math.round((performance.now() - started) * 100) / 100,
      }
      ctx.sendBinary(genimageFrame(metadata, bytes))
    }
    return { outputs: [] }
  },
}
