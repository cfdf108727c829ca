import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** The model folders ComfyUI knows, mapped in the generated file even when still empty. */
export const COMFY_MODEL_FOLDERS: readonly string[] = Object.freeze([
  'checkpoints',
  'clip_vision',
  'controlnet',
  'diffusion_models',
  'embeddings',
  'loras',
  'text_encoders',
  'upscale_models',
  'vae',
  'vae_approx',
])

/** Options of {@link writeExtraModelPaths}. */
export interface ExtraModelPathsOptions {
  /** The models directory, laid out like ComfyUI's `models/`. */
  dir: string
  /** The YAML file to write. @default '<dir>/extra_model_paths.yaml' */
  file?: string
  /** More folder names to map (the first segment of each model path). @default [] */
  folders?: readonly string[]
  /** Section name in the YAML. @default 'genimage' */
  section?: string
}

/**
 * Renders an `extra_model_paths.yaml` that points ComfyUI's model folders at `dir` (`base_path` + one key per folder).
 * @example renderExtraModelPaths('/data/models') // 'genimage:\n  base_path: "/data/models"\n  checkpoints: "checkpoints/"\n…'
 */
export function renderExtraModelPaths(dir: string, folders: readonly string[] = [], section = 'genimage'): string {
  const names = [...new Set([...COMFY_MODEL_FOLDERS, ...folders])].sort()
  const lines = [`${section}:`, `  base_path: ${JSON.stringify(resolve(dir))}`]
  for (const name of names) lines.push(`  ${name}: ${JSON.stringify(`${name}/`)}`)
  return `# Written by @genimage/server: ComfyUI reads models from here (--extra-model-paths-config).\n${lines.join('\n')}\n`
}

/**
 * Writes the YAML atomically (temp file + rename) and returns its path, to pass as `--extra-model-paths-config`.
 * @example const file = await writeExtraModelPaths({ dir: '/data/models' })
 */
export async function writeExtraModelPaths(options: ExtraModelPathsOptions): Promise<string> {
  const file = resolve(options.file ?? join(options.dir, 'extra_model_paths.yaml'))
  await mkdir(resolve(file, '..'), { recursive: true })
  const temp = `${file}.${process.pid}.tmp`
  await writeFile(temp, renderExtraModelPaths(options.dir, options.folders, options.section))
  await rename(temp, file)
  return file
}
