import { mkdir, open, rename, stat, unlink } from 'node:fs/promises'
import { dirname } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { Logger } from 'pino'
import { downloadToPart } from './download.js'
import { WeightsError } from './errors.js'
import { writeExtraModelPaths } from './extra-model-paths.js'
import { readVerified, sha256File, writeVerified } from './hash.js'
import { acquireLock } from './lock.js'
import { DEFAULT_MODELS, type WeightsModel } from './models.js'
import { modelFile } from './paths.js'
import { createProgressReporter, type DownloadProgress } from './progress.js'

/** Options of {@link ensureWeights}. */
export interface EnsureWeightsOptions {
  /** The models directory (ComfyUI layout: `checkpoints/`, `vae/`, …). */
  dir: string
  /** Files to provide. @default DEFAULT_MODELS (SDXL Turbo fp16) */
  models?: readonly WeightsModel[]
  /** `fetch` used for downloads. @default globalThis.fetch */
  fetch?: typeof fetch
  /** Progress callback. @default a TTY bar on stderr, else a log line every 10 s */
  onProgress?: (progress: DownloadProgress) => void
  /** Logger for decisions (skipped, verified, waiting for a lock, retrying). */
  logger?: Pick<Logger, 'info' | 'warn'>
  /** Download attempts after the first one fails (each resumes where the last stopped). @default 5 */
  retries?: number
  /** First pause between attempts, doubled each time. @default 1000 */
  retryDelayMs?: number
  /** Lock staleness: a lock not refreshed for this long is taken over. @default 60000 */
  staleLockMs?: number
  /** Pause between lock attempts. @default 500 */
  lockPollMs?: number
  /** Where to write the YAML for ComfyUI; `false` to skip it. @default '<dir>/extra_model_paths.yaml' */
  extraModelPathsFile?: string | false
  /** Cancels waiting and downloading. */
  signal?: AbortSignal
}

/** What {@link ensureWeights} did for one model. */
export interface EnsuredModel {
  /** Model path relative to `dir`. */
  path: string
  /** Absolute file path. */
  file: string
  /** SHA-256 of the file on disk. */
  sha256: string
  size: number
  /** `present`: already there and verified; `downloaded`: fetched by this call. */
  status: 'present' | 'downloaded'
}

/** The outcome of {@link ensureWeights}. */
export interface EnsureWeightsResult {
  models: EnsuredModel[]
  /** The `extra_model_paths.yaml` written for ComfyUI, if any. */
  extraModelPathsFile: string | undefined
}

/**
 * Makes sure every model file is in `dir` and verified, downloading what is missing: resume from `.part` with HTTP Range,
 * streaming SHA-256, atomic rename, one downloader per file across processes (lock file), progress display, and a
 * sidecar so verified files are not rehashed at every start. Then writes `extra_model_paths.yaml` pointing at `dir`.
 * @example
 * const { extraModelPathsFile } = await ensureWeights({ dir: '/data/models', logger })
 * createComfySupervisor({ cwd, extraArgs: ['--extra-model-paths-config', extraModelPathsFile!] })
 */
export async function ensureWeights(options: EnsureWeightsOptions): Promise<EnsureWeightsResult> {
  const models = options.models ?? DEFAULT_MODELS
  const ensured: EnsuredModel[] = []
  for (const model of models) ensured.push(await ensureModel(model, options))
  const extraModelPathsFile =
    options.extraModelPathsFile === false
      ? undefined
      : await writeExtraModelPaths({
          dir: options.dir,
          file: options.extraModelPathsFile,
          folders: models.map((model) => model.path.split('/')[0]!),
        })
  return { models: ensured, extraModelPathsFile }
}

async function ensureModel(model: WeightsModel, options: EnsureWeightsOptions): Promise<EnsuredModel> {
  const file = modelFile(options.dir, model.path)
  const expected = model.sha256?.toLowerCase()
  const fast = await readVerified(file)
  if (fast && (!expected || fast.sha256 === expected) && (model.size === undefined || fast.size === model.size)) {
    return { path: model.path, file, sha256: fast.sha256, size: fast.size, status: 'present' }
  }

  await mkdir(dirname(file), { recursive: true })
  const lock = await acquireLock(`${file}.lock`, {
    staleMs: options.staleLockMs,
    pollMs: options.lockPollMs,
    signal: options.signal,
    onWait: (owner) =>
      options.logger?.info(
        { event: 'weights_wait', path: model.path, holder: owner },
        `waiting for another process to finish ${model.path}`,
      ),
  })
  try {
    return (await checkPresent(model, file, expected, options)) ?? (await download(model, file, expected, options))
  } finally {
    await lock.release()
  }
}

/** Under the lock: returns the model when `file` exists and matches (hashing it if needed); removes it when it does not. */
async function checkPresent(
  model: WeightsModel,
  file: string,
  expected: string | undefined,
  options: EnsureWeightsOptions,
): Promise<EnsuredModel | undefined> {
  let size: number
  try {
    size = (await stat(file)).size
  } catch {
    return undefined
  }
  const done = (sha256: string): EnsuredModel => ({ path: model.path, file, sha256, size, status: 'present' })
  if (model.size !== undefined && size !== model.size) {
    return discard(model, file, `size ${size} instead of ${model.size}`, options)
  }
  const record = await readVerified(file)
  if (record && (!expected || record.sha256 === expected)) return done(record.sha256)
  options.logger?.info({ event: 'weights_verify', path: model.path }, `verifying ${model.path}`)
  const actual = await sha256File(file)
  if (expected && actual !== expected) {
    return discard(model, file, `sha256 ${actual} instead of ${expected}`, options)
  }
  await writeVerified(file, actual)
  return done(actual)
}

async function discard(
  model: WeightsModel,
  file: string,
  why: string,
  options: EnsureWeightsOptions,
): Promise<undefined> {
  options.logger?.warn(
    { event: 'weights_mismatch', path: model.path, why },
    `${model.path} is corrupt (${why}); replacing it`,
  )
  await unlink(file).catch(() => {})
  return undefined
}

async function download(
  model: WeightsModel,
  file: string,
  expected: string | undefined,
  options: EnsureWeightsOptions,
): Promise<EnsuredModel> {
  const part = `${file}.part`
  const report = options.onProgress ?? createProgressReporter({ logger: options.logger })
  const retries = options.retries ?? 5
  const retryDelayMs = options.retryDelayMs ?? 1000
  options.logger?.info({ event: 'weights_download', path: model.path, url: model.url }, `downloading ${model.path}`)
  for (let attempt = 0; ; attempt++) {
    const startedAt = Date.now()
    let sessionStart: number | undefined
    let last = { receivedBytes: 0, totalBytes: undefined as number | undefined }
    try {
      const result = await downloadToPart({
        path: model.path,
        url: model.url,
        part,
        headers: model.headers,
        size: model.size,
        fetch: options.fetch ?? fetch,
        signal: options.signal,
        onBytes: (receivedBytes, totalBytes) => {
          sessionStart ??= receivedBytes
          last = { receivedBytes, totalBytes }
          const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000)
          report({
            path: model.path,
            receivedBytes,
            totalBytes,
            bytesPerSecond: (receivedBytes - sessionStart) / seconds,
            done: false,
          })
        },
      })
      const seconds = Math.max(0.001, (Date.now() - startedAt) / 1000)
      const bytesPerSecond = (last.receivedBytes - (sessionStart ?? 0)) / seconds
      report({ path: model.path, receivedBytes: result.size, totalBytes: result.size, bytesPerSecond, done: true })
      return await commit(model, file, part, result, expected)
    } catch (error) {
      const retryable = error instanceof WeightsError && error.code === 'download' && !options.signal?.aborted
      if (!retryable || attempt >= retries) throw error
      const delayMs = retryDelayMs * 2 ** attempt
      options.logger?.warn(
        { event: 'weights_retry', path: model.path, attempt: attempt + 1, delayMs, err: (error as Error).message },
        `retrying ${model.path} in ${delayMs} ms`,
      )
      await sleep(delayMs, undefined, { signal: options.signal })
    }
  }
}

/** Checks size and hash of the finished part, then renames it into place and records the verified hash. */
async function commit(
  model: WeightsModel,
  file: string,
  part: string,
  result: { sha256: string; size: number },
  expected: string | undefined,
): Promise<EnsuredModel> {
  const sizeWrong = model.size !== undefined && result.size !== model.size
  if (sizeWrong || (expected && result.sha256 !== expected)) {
    await unlink(part).catch(() => {})
    const detail = sizeWrong
      ? `expected ${model.size} bytes, got ${result.size}`
      : `expected sha256 ${expected}, got ${result.sha256}`
    throw new WeightsError(
      'integrity',
      model.path,
      `${model.path} failed verification: ${detail} (from ${model.url}); the download was deleted`,
    )
  }
  await rename(part, file)
  await syncDir(dirname(file))
  await writeVerified(file, result.sha256)
  return { path: model.path, file, sha256: result.sha256, size: result.size, status: 'downloaded' }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } catch {
    // Some filesystems refuse fsync on directories; the rename is still atomic.
  } finally {
    await handle.close()
  }
}
