/**
 * The fake's node catalogue: what `GET /object_info` answers, shaped as ComfyUI 0.8.0 serialises it.
 * V1 nodes (`nodes.py`, custom nodes) come out of `node_info()` in `server.py`: combos are `[[options], {...}]`.
 * V3 nodes (`comfy_extras/nodes_custom_sampler.py`) come out of `Schema.get_v1_info()`: combos are
 * `["COMBO", {multiselect, options}]`, and the dataclass adds `output_tooltips`, `output_matchtypes`, `deprecated`, ….
 * @module
 */
/** One input spec in `/object_info`: the type (or a combo's options) and the options object. */
export type InputSpec = [string | unknown[], Record<string, unknown>?]

/** One class as `GET /object_info/{class}` describes it. */
export interface NodeInfo {
  input: {
    required?: Record<string, InputSpec>
    optional?: Record<string, InputSpec>
    hidden?: Record<string, unknown>
  }
  input_order: Record<string, string[]>
  output: string[]
  output_is_list: boolean[]
  output_name: string[]
  name: string
  display_name: string | null
  description: string
  python_module: string
  category: string
  output_node: boolean
  [extra: string]: unknown
}

/** Every sampler name of ComfyUI 0.8.0 (`comfy.samplers.SAMPLER_NAMES`). */
export const SAMPLER_NAMES = [
  'euler',
  'euler_cfg_pp',
  'euler_ancestral',
  'euler_ancestral_cfg_pp',
  'heun',
  'heunpp2',
  'exp_heun_2_x0',
  'exp_heun_2_x0_sde',
  'dpm_2',
  'dpm_2_ancestral',
  'lms',
  'dpm_fast',
  'dpm_adaptive',
  'dpmpp_2s_ancestral',
  'dpmpp_2s_ancestral_cfg_pp',
  'dpmpp_sde',
  'dpmpp_sde_gpu',
  'dpmpp_2m',
  'dpmpp_2m_cfg_pp',
  'dpmpp_2m_sde',
  'dpmpp_2m_sde_gpu',
  'dpmpp_2m_sde_heun',
  'dpmpp_2m_sde_heun_gpu',
  'dpmpp_3m_sde',
  'dpmpp_3m_sde_gpu',
  'ddpm',
  'lcm',
  'ipndm',
  'ipndm_v',
  'deis',
  'res_multistep',
  'res_multistep_cfg_pp',
  'res_multistep_ancestral',
  'res_multistep_ancestral_cfg_pp',
  'gradient_estimation',
  'gradient_estimation_cfg_pp',
  'er_sde',
  'seeds_2',
  'seeds_3',
  'sa_solver',
  'sa_solver_pece',
  'ddim',
  'uni_pc',
  'uni_pc_bh2',
]

/** `MAX_RESOLUTION` in `nodes.py`. */
export const MAX_RESOLUTION = 16384

/** Class name of our output node (`comfyui-nodes/genimage_output`). */
export const GENIMAGE_OUTPUT_CLASS = 'GenimageOutput'

/** Our pass-through speed-up nodes (`cudagraph.py`): MODEL → MODEL, CLIP → CLIP. */
export const GENIMAGE_GRAPH_CLASSES = { model: 'GenimageCudaGraph', clip: 'GenimageCudaGraphClip' } as const

/** Our text-encoder precision node (`precision.py`): CLIP → CLIP, run in fp16 instead of ComfyUI's fp32. */
export const GENIMAGE_CLIP_FP16_CLASS = 'GenimageClipFp16'

/** Our VAE decoder nodes (`vae_decode.py`): VAE → VAE, GPU-wide GroupNorm (both paths) and a CUDA graph (fast path). */
export const GENIMAGE_VAE_CLASSES = { groupNorm: 'GenimageVaeGroupNorm', graph: 'GenimageCudaGraphVae' } as const

/** Our batching nodes (`batch.py`). */
export const GENIMAGE_BATCH_CLASSES = { text: 'GenimageBatchTextEncode', sampler: 'GenimageBatchSampler' } as const

/** Our image-to-image input node (`load.py`): a base64 image in the prompt → IMAGE. */
export const GENIMAGE_LOAD_CLASS = 'GenimageLoadImage'

/** `ImageScale.upscale_methods` in `nodes.py`. */
export const UPSCALE_METHODS = ['nearest-exact', 'bilinear', 'area', 'bicubic', 'lanczos']

function v1(
  name: string,
  displayName: string,
  spec: {
    required: Record<string, InputSpec>
    optional?: Record<string, InputSpec>
    hidden?: Record<string, unknown>
    output?: string[]
    /** `RETURN_NAMES`, when the class names its outputs. */
    outputNames?: string[]
    outputTooltips?: string[]
    outputNode?: boolean
    category: string
    description?: string
    pythonModule?: string
  },
): NodeInfo {
  const input: NodeInfo['input'] = { required: spec.required }
  if (spec.optional) input.optional = spec.optional
  if (spec.hidden) input.hidden = spec.hidden
  const output = spec.output ?? []
  const info: NodeInfo = {
    input,
    input_order: Object.fromEntries(Object.entries(input).map(([key, value]) => [key, Object.keys(value ?? {})])),
    output,
    output_is_list: output.map(() => false),
    output_name: spec.outputNames ?? output,
    name,
    display_name: displayName,
    description: spec.description ?? '',
    python_module: spec.pythonModule ?? 'nodes',
    category: spec.category,
    output_node: spec.outputNode ?? false,
  }
  if (spec.outputTooltips) info['output_tooltips'] = spec.outputTooltips
  return info
}

function v3(
  name: string,
  spec: { required: Record<string, InputSpec>; outputs: [string, string | null][]; category: string },
): NodeInfo {
  const input = { required: spec.required }
  return {
    input,
    input_order: { required: Object.keys(spec.required) },
    output: spec.outputs.map(([type]) => type),
    output_is_list: spec.outputs.map(() => false),
    output_name: spec.outputs.map(([type, display]) => display ?? type),
    output_tooltips: spec.outputs.map(() => null),
    output_matchtypes: null,
    name,
    display_name: null,
    description: '',
    python_module: 'comfy_extras.nodes_custom_sampler',
    category: spec.category,
    output_node: false,
    deprecated: false,
    experimental: false,
    api_node: false,
  }
}

/**
 * Builds the fake's `/object_info`: the tutorial workflow's classes, the image-to-image ones (`ImageScale`,
 * `VAEEncode`, `RepeatLatentBatch`), `SaveImageWebsocket` and our custom nodes (`GenimageOutput`, the CUDA-graph,
 * the batching and the image-loading nodes).
 * @example
 * buildObjectInfo(['sd_xl_turbo_1.0_fp16.safetensors'])['SamplerCustom']?.input_order
 */
export function buildObjectInfo(checkpoints: readonly string[]): Record<string, NodeInfo> {
  const classes: NodeInfo[] = [
    v1('CheckpointLoaderSimple', 'Load Checkpoint', {
      required: { ckpt_name: [[...checkpoints], { tooltip: 'The name of the checkpoint (model) to load.' }] },
      output: ['MODEL', 'CLIP', 'VAE'],
      outputTooltips: [
        'The model used for denoising latents.',
        'The CLIP model used for encoding text prompts.',
        'The VAE model used for encoding and decoding images to and from latent space.',
      ],
      category: 'loaders',
      description: 'Loads a diffusion model checkpoint, diffusion models are used to denoise latents.',
    }),
    v1('CLIPTextEncode', 'CLIP Text Encode (Prompt)', {
      required: {
        text: ['STRING', { multiline: true, dynamicPrompts: true, tooltip: 'The text to be encoded.' }],
        clip: ['CLIP', { tooltip: 'The CLIP model used for encoding the text.' }],
      },
      output: ['CONDITIONING'],
      outputTooltips: ['A conditioning containing the embedded text used to guide the diffusion model.'],
      category: 'conditioning',
      description:
        'Encodes a text prompt using a CLIP model into an embedding that can be used to guide the diffusion model towards generating specific images.',
    }),
    v1('EmptyLatentImage', 'Empty Latent Image', {
      required: {
        width: [
          'INT',
          { default: 512, min: 16, max: MAX_RESOLUTION, step: 8, tooltip: 'The width of the latent images in pixels.' },
        ],
        height: [
          'INT',
          {
            default: 512,
            min: 16,
            max: MAX_RESOLUTION,
            step: 8,
            tooltip: 'The height of the latent images in pixels.',
          },
        ],
        batch_size: ['INT', { default: 1, min: 1, max: 4096, tooltip: 'The number of latent images in the batch.' }],
      },
      output: ['LATENT'],
      outputTooltips: ['The empty latent image batch.'],
      category: 'latent',
      description: 'Create a new batch of empty latent images to be denoised via sampling.',
    }),
    v3('KSamplerSelect', {
      required: { sampler_name: ['COMBO', { multiselect: false, options: SAMPLER_NAMES }] },
      outputs: [['SAMPLER', null]],
      category: 'sampling/custom_sampling/samplers',
    }),
    v3('SDTurboScheduler', {
      required: {
        model: ['MODEL', {}],
        steps: ['INT', { default: 1, min: 1, max: 10 }],
        denoise: ['FLOAT', { default: 1.0, min: 0, max: 1.0, step: 0.01 }],
      },
      outputs: [['SIGMAS', null]],
      category: 'sampling/custom_sampling/schedulers',
    }),
    v3('SamplerCustom', {
      required: {
        model: ['MODEL', {}],
        add_noise: ['BOOLEAN', { default: true }],
        noise_seed: ['INT', { default: 0, min: 0, max: 2 ** 64 - 1, control_after_generate: true }],
        cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        positive: ['CONDITIONING', {}],
        negative: ['CONDITIONING', {}],
        sampler: ['SAMPLER', {}],
        sigmas: ['SIGMAS', {}],
        latent_image: ['LATENT', {}],
      },
      outputs: [
        ['LATENT', 'output'],
        ['LATENT', 'denoised_output'],
      ],
      category: 'sampling/custom_sampling',
    }),
    v1('VAEDecode', 'VAE Decode', {
      required: {
        samples: ['LATENT', { tooltip: 'The latent to be decoded.' }],
        vae: ['VAE', { tooltip: 'The VAE model used for decoding the latent.' }],
      },
      output: ['IMAGE'],
      outputTooltips: ['The decoded image.'],
      category: 'latent',
      description: 'Decodes latent images back into pixel space images.',
    }),
    v1('VAEEncode', 'VAE Encode', {
      required: { pixels: ['IMAGE'], vae: ['VAE'] },
      output: ['LATENT'],
      category: 'latent',
    }),
    v1('ImageScale', 'Upscale Image', {
      required: {
        image: ['IMAGE'],
        upscale_method: [UPSCALE_METHODS],
        width: ['INT', { default: 512, min: 0, max: MAX_RESOLUTION, step: 1 }],
        height: ['INT', { default: 512, min: 0, max: MAX_RESOLUTION, step: 1 }],
        crop: [['disabled', 'center']],
      },
      output: ['IMAGE'],
      category: 'image/upscaling',
    }),
    v1('RepeatLatentBatch', 'Repeat Latent Batch', {
      required: { samples: ['LATENT'], amount: ['INT', { default: 1, min: 1, max: 64 }] },
      output: ['LATENT'],
      category: 'latent/batch',
    }),
    v1('SaveImage', 'Save Image', {
      required: {
        images: ['IMAGE', { tooltip: 'The images to save.' }],
        filename_prefix: [
          'STRING',
          {
            default: 'ComfyUI',
            tooltip:
              'The prefix for the file to save. This may include formatting information such as %date:yyyy-MM-dd% or %Empty Latent Image.width% to include values from nodes.',
          },
        ],
      },
      hidden: { prompt: 'PROMPT', extra_pnginfo: 'EXTRA_PNGINFO' },
      outputNode: true,
      category: 'image',
      description: 'Saves the input images to your ComfyUI output directory.',
    }),
    v1('SaveImageWebsocket', 'SaveImageWebsocket', {
      required: { images: ['IMAGE'] },
      outputNode: true,
      category: 'api/image',
      pythonModule: 'custom_nodes.websocket_image_save',
    }),
    v1(GENIMAGE_OUTPUT_CLASS, 'genimage output (WebSocket)', {
      required: {
        images: ['IMAGE', {}],
        format: [['png', 'jpeg', 'webp'], { default: 'png' }],
        quality: ['INT', { default: 90, min: 1, max: 100 }],
        compress_level: ['INT', { default: 1, min: 0, max: 9 }],
      },
      optional: { fast: ['BOOLEAN', { default: true }] },
      hidden: { unique_id: 'UNIQUE_ID' },
      outputNode: true,
      category: 'api/image',
      description:
        'Sends each image over the WebSocket as one binary frame in the requested format, with no file on disk.',
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_GRAPH_CLASSES.model, 'genimage CUDA graph (model)', {
      required: { model: ['MODEL', {}], max_graphs: ['INT', { default: 16, min: 1, max: 64 }] },
      output: ['MODEL'],
      category: 'advanced/model',
      description: 'Replays the diffusion model as a CUDA graph per input shape (launch overhead gone; same kernels).',
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_GRAPH_CLASSES.clip, 'genimage CUDA graph (text encoders)', {
      required: { clip: ['CLIP', {}], max_graphs: ['INT', { default: 16, min: 1, max: 64 }] },
      output: ['CLIP'],
      category: 'advanced/conditioning',
      description: "Replays the text encoders' transformer layers as CUDA graphs (launch overhead gone; same kernels).",
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_CLIP_FP16_CLASS, 'genimage text encoders in fp16', {
      required: { clip: ['CLIP', {}], precision: [['fp16', 'bf16'], { default: 'fp16' }] },
      output: ['CLIP'],
      category: 'advanced/conditioning',
      description: "Runs the CLIP text encoders in fp16 (or bf16) instead of ComfyUI's fp32; outputs stay fp32.",
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_VAE_CLASSES.groupNorm, 'genimage VAE decoder GroupNorm (GPU-wide)', {
      required: { vae: ['VAE', {}] },
      output: ['VAE'],
      category: 'latent',
      description:
        "Runs the VAE decoder's GroupNorm layers as a GPU-wide reduction and one fused kernel (same math, other rounding).",
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_VAE_CLASSES.graph, 'genimage CUDA graph (VAE decoder)', {
      required: { vae: ['VAE', {}], max_graphs: ['INT', { default: 16, min: 1, max: 64 }] },
      output: ['VAE'],
      category: 'latent',
      description:
        'Replays the VAE decoder as a CUDA graph per latent shape and keeps the images on the GPU (same pixels).',
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_BATCH_CLASSES.text, 'genimage batch text encode (one prompt per item)', {
      required: { clip: ['CLIP', {}], texts: ['STRING', { multiline: true, default: '[""]' }] },
      output: ['CONDITIONING'],
      category: 'conditioning',
      description: 'Encodes a JSON array of prompts into one conditioning batch, one row per prompt, in order.',
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_BATCH_CLASSES.sampler, 'genimage batch sampler (one seed per item)', {
      required: {
        model: ['MODEL', {}],
        add_noise: ['BOOLEAN', { default: true }],
        seeds: ['STRING', { multiline: true, default: '[0]' }],
        cfg: ['FLOAT', { default: 8.0, min: 0.0, max: 100.0, step: 0.1, round: 0.01 }],
        positive: ['CONDITIONING', {}],
        negative: ['CONDITIONING', {}],
        sampler: ['SAMPLER', {}],
        sigmas: ['SIGMAS', {}],
        latent_image: ['LATENT', {}],
      },
      output: ['LATENT', 'LATENT'],
      outputNames: ['output', 'denoised_output'],
      category: 'sampling/custom_sampling',
      description: 'SamplerCustom with one seed per latent of the batch (a JSON array), each as if sampled alone.',
      pythonModule: 'custom_nodes.genimage_output',
    }),
    v1(GENIMAGE_LOAD_CLASS, 'genimage load image (base64 in the prompt)', {
      required: { image: ['STRING', { default: '', multiline: false }] },
      output: ['IMAGE'],
      category: 'image',
      description: 'Decodes a base64 PNG, JPEG or WebP sent in the prompt (image-to-image input), like LoadImage.',
      pythonModule: 'custom_nodes.genimage_output',
    }),
  ]
  return Object.fromEntries(classes.map((info) => [info.name, info]))
}

/**
 * Looks up one input of a class: its type (a string, or the combo's options) and options, like `get_input_info`.
 * @example
 * inputInfo(info, 'steps') // { type: 'INT', options: { default: 1, min: 1, max: 10 }, category: 'required' }
 */
export function inputInfo(
  info: NodeInfo,
  name: string,
): { type: string | unknown[]; options: Record<string, unknown>; category: 'required' | 'optional' } | undefined {
  for (const category of ['required', 'optional'] as const) {
    const spec = info.input[category]?.[name]
    if (spec) return { type: spec[0], options: spec[1] ?? {}, category }
  }
  return undefined
}
