/** One file the weights cache must provide. */
export interface WeightsModel {
  /** Path under the models directory, in ComfyUI's folder layout. @example 'checkpoints/sd_xl_turbo_1.0_fp16.safetensors' */
  path: string
  /** Where to download it from (HTTP Range support lets interrupted downloads resume). */
  url: string
  /** Expected SHA-256 (hex). Without it the file is trusted by size alone. */
  sha256?: string
  /** Expected size in bytes, checked before hashing and used for the disk-space check. */
  size?: number
  /** Extra request headers, e.g. `{ authorization: 'Bearer hf_…' }` for gated models. */
  headers?: Record<string, string>
}

/**
 * The tutorial's checkpoint: SDXL Turbo, fp16, 6.94 GB.
 * @example await ensureWeights({ dir: '/data/models', models: DEFAULT_MODELS })
 */
export const DEFAULT_MODELS: readonly WeightsModel[] = Object.freeze([
  Object.freeze({
    path: 'checkpoints/sd_xl_turbo_1.0_fp16.safetensors',
    url: 'https://huggingface.co/stabilityai/sdxl-turbo/resolve/main/sd_xl_turbo_1.0_fp16.safetensors',
    sha256: 'e869ac7d6942cb327d68d5ed83a40447aadf20e0c3358d98b2cc9e270db0da26',
    size: 6_938_081_905,
  }),
])
