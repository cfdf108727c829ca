import { gpuList } from '../comfyui/pool/plan.js'
import {
  boolean,
  existingDirectory,
  httpUrl,
  integer,
  list,
  type OptionType,
  oneOf,
  path,
  text,
  words,
} from './types.js'
import { webhookSecrets } from './webhook-secrets.js'

/** One configurable setting: an environment variable and the flag derived from it (`COMFYUI_DIR` → `--comfyui-dir`). */
export interface OptionSpec<E extends string = string, T = unknown, D extends T | undefined = T | undefined> {
  /** Environment variable; the flag and the config key are derived from it. */
  env: E
  /** Section in `--help`. */
  group: string
  type: OptionType<T>
  /** Value when neither flag nor environment sets it. */
  default: D
  /** Shown in `--help` instead of the formatted default. */
  defaultText?: string
  /** One line for `--help` and the docs. */
  description: string
  /** Never echoed back (error messages say `<hidden>`). */
  secret?: boolean
}

function option<const E extends string, T>(
  env: E,
  type: OptionType<T>,
  spec: { group: string; default: NoInfer<T>; description: string; defaultText?: string; secret?: boolean },
): OptionSpec<E, T, T>
function option<const E extends string, T>(
  env: E,
  type: OptionType<T>,
  spec: { group: string; description: string; defaultText?: string; secret?: boolean },
): OptionSpec<E, T, undefined>
function option<const E extends string, T>(
  env: E,
  type: OptionType<T>,
  spec: { group: string; default?: T; description: string; defaultText?: string; secret?: boolean },
): OptionSpec<E, T, T | undefined> {
  return { env, type, ...spec, default: spec.default }
}

const HTTP = 'HTTP API'
const COMFY = 'ComfyUI'
const WEIGHTS = 'Model weights'
const STORAGE = 'Image storage'
const RETENTION = 'Retention'
const SCALE = 'Scale-out'
const WEBHOOKS = 'Webhooks'

const MIB = 1024 * 1024
const DAY_S = 86_400

/** Comma-separated `WxH` sizes within the API's 256…1024, e.g. `512x512,1024x768`. */
function sizeList(): OptionType<{ width: number; height: number }[]> {
  return {
    placeholder: '<WxH,…>',
    parse(raw) {
      return raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean)
        .map((item) => {
          const match = /^(\d+)x(\d+)$/.exec(item)
          const [width, height] = [Number(match?.[1]), Number(match?.[2])]
          if (!match || !(width >= 256 && width <= 1024 && height >= 256 && height <= 1024)) {
            throw new Error(`expected sizes like 512x512 (256 to 1024), not "${item}"`)
          }
          return { width, height }
        })
    },
    format: (value) => value.map((size) => `${size.width}x${size.height}`).join(','),
  }
}

/** A `redis://` or `rediss://` URL (credentials allowed; they are never echoed). */
function redisUrl(): OptionType<string> {
  return {
    placeholder: '<url>',
    parse(raw) {
      let url: URL
      try {
        url = new URL(raw.trim())
      } catch {
        throw new Error('expected a redis:// or rediss:// URL, e.g. redis://redis:6379/0')
      }
      if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
        throw new Error('expected a redis:// or rediss:// URL, e.g. redis://redis:6379/0')
      }
      return raw.trim()
    },
  }
}

/**
 * Every setting of the server, in one table: `--help`, the docs table, parsing and the config type come from it.
 * @example OPTIONS.find((o) => o.env === 'PORT')?.default // 8787
 */
export const OPTIONS = [
  option('PORT', integer(0, 65535), {
    group: HTTP,
    default: 8787,
    description: 'Port the API listens on (0: any free port).',
  }),
  option('HOST', text('<addr>'), {
    group: HTTP,
    default: '127.0.0.1',
    description:
      'Interface the API binds: loopback by default; 0.0.0.0 serves every interface (set API_KEYS there: without them the server warns).',
  }),
  option('PUBLIC_BASE_URL', httpUrl(), {
    group: HTTP,
    description: 'External URL of this server, used in image and queue URLs (default: from the request).',
  }),
  option('API_KEYS', list(), {
    group: HTTP,
    default: [],
    secret: true,
    description: 'Comma-separated API keys accepted as `Authorization: Key …` or Bearer; empty: no auth.',
  }),
  option('MAX_QUEUE', integer(1, 100_000), {
    group: HTTP,
    default: 64,
    description: 'Jobs waiting or running before new ones get 429.',
  }),
  option('JOB_TIMEOUT_MS', integer(1000, 3_600_000), {
    group: HTTP,
    default: 60_000,
    description: 'A job running longer is interrupted and answered 504.',
  }),
  option('MAX_BODY_BYTES', integer(1024, 64 * 1024 * 1024), {
    group: HTTP,
    default: 65_536,
    description:
      'Largest request body; larger ones get 413. POST /generate and /queue/generate add room for a base64 image_url: MAX_BODY_BYTES + ceil(4/3 × IMAGE_URL_MAX_BYTES).',
  }),
  option('IMAGE_URL_MAX_BYTES', integer(0, 64 * MIB), {
    group: HTTP,
    default: 4 * MIB,
    description: 'Largest image_url picture (image-to-image), in decoded bytes; larger ones get 422.',
  }),
  option('IMAGE_URL_MAX_SIDE', integer(1, 16_384), {
    group: HTTP,
    default: 4096,
    description: 'Largest width and height of an image_url picture, read from its header; larger ones get 422.',
  }),
  option('IMAGE_URL_ALLOWED_HOSTS', list(), {
    group: HTTP,
    default: [],
    description:
      'Hosts whose http(s) image_url the server fetches (exact name, .example.com with subdomains), public addresses only; other remote URLs get 422. Its own /files/ URLs and data: URIs need no entry.',
  }),
  option('SHUTDOWN_GRACE_MS', integer(0, 600_000), {
    group: HTTP,
    default: 30_000,
    description: 'On SIGTERM, time to finish running jobs before ComfyUI is stopped.',
  }),
  option('HEADERS_TIMEOUT_MS', integer(1000, 600_000), {
    group: HTTP,
    default: 10_000,
    description: 'A client must send its request headers within this time, else it gets 408 and is disconnected.',
  }),
  option('REQUEST_TIMEOUT_MS', integer(1000, 3_600_000), {
    group: HTTP,
    default: 30_000,
    description: 'A client must send its whole request (headers and body) within this time, else 408 and disconnect.',
  }),
  option('KEEP_ALIVE_TIMEOUT_MS', integer(0, 600_000), {
    group: HTTP,
    default: 5000,
    description:
      'An idle keep-alive connection is closed after this time; behind a load balancer, exceed its idle timeout.',
  }),
  option('MAX_CONNECTIONS', integer(1, 1_000_000), {
    group: HTTP,
    default: 10_000,
    description: 'Open connections at most; further ones are closed at once until some end.',
  }),
  option('METRICS_PUBLIC', boolean(), {
    group: HTTP,
    default: false,
    description:
      'Serve /metrics without an API key when API_KEYS is set (else scrapers send Authorization: Bearer <key>).',
  }),
  option('ALLOWED_HOSTS', list(), {
    group: HTTP,
    default: ['localhost', '127.0.0.1', '[::1]'],
    description:
      "Hosts accepted in the Host header (exact name, .example.com with subdomains, * any); others get 400. PUBLIC_BASE_URL's host is always accepted.",
  }),
  option('LOG_LEVEL', oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], '<level>'), {
    group: HTTP,
    default: 'info',
    description: 'fatal, error, warn, info, debug, trace or silent (JSON lines on stdout).',
  }),
  option('COMFYUI_DIR', existingDirectory('main.py', 'is it a ComfyUI checkout?'), {
    group: COMFY,
    defaultText: '(synthetic backend)',
    description: 'ComfyUI checkout to run; unset: the synthetic backend paints test images, no GPU needed.',
  }),
  option('COMFYUI_URL', httpUrl(), {
    group: COMFY,
    defaultText: '(none)',
    description: 'Use a ComfyUI already running at this URL instead of starting one (no supervision, no downloads).',
  }),
  option('COMFYUI_PYTHON', text('<cmd>'), {
    group: COMFY,
    default: 'python3',
    description: 'Python interpreter that runs ComfyUI (e.g. a venv).',
  }),
  option('COMFYUI_PORT', integer(1, 65535), {
    group: COMFY,
    default: 8188,
    description: 'Port ComfyUI listens on (loopback only).',
  }),
  option('GPUS', gpuList(), {
    group: COMFY,
    defaultText: '(visible GPUs: CUDA_VISIBLE_DEVICES, else nvidia-smi -L; none: one unpinned)',
    description:
      'GPUs to run ComfyUI on with COMFYUI_DIR, e.g. 0,1 (indices or UUIDs; each instance gets one as CUDA_VISIBLE_DEVICES).',
  }),
  option('COMFYUI_PER_GPU', integer(1, 16), {
    group: COMFY,
    default: 1,
    description: 'Supervised ComfyUI instances per GPU; instance i listens on COMFYUI_PORT + i; jobs go to a free one.',
  }),
  option('COMFYUI_THREADS', integer(0, 1024), {
    group: COMFY,
    default: 0,
    defaultText: '0 (automatic)',
    description:
      'CPU threads per ComfyUI instance (OMP_NUM_THREADS, MKL_NUM_THREADS); 0: available cores ÷ instances, at least 1, unless those variables are set.',
  }),
  option('COMFYUI_ARGS', words(), {
    group: COMFY,
    default: [],
    description: 'Extra ComfyUI flags, shell-quoted, e.g. "--highvram --fast".',
  }),
  option('COMFYUI_BOOT_TIMEOUT_MS', integer(1000, 3_600_000), {
    group: COMFY,
    default: 300_000,
    description: 'ComfyUI must answer /system_stats within this time after spawn, else it is restarted.',
  }),
  option('LAZY_IMPORTS', boolean(), {
    group: COMFY,
    default: true,
    description:
      "Start ComfyUI through genimage's launcher: torchvision and scipy imported on first use (≈ 6 s less cold start), the CUDA driver and the first prompt's GPU kernels started during the imports; 0: main.py.",
  }),
  option('SYNTHETIC_STEP_MS', integer(0, 60_000), {
    group: COMFY,
    default: 30,
    description: 'Simulated time per sampling step of the synthetic backend (used when no ComfyUI is configured).',
  }),
  option('WORKFLOW', existingDirectory(), {
    group: COMFY,
    defaultText: '(built-in sdxl-turbo)',
    description:
      'Workflow directory (workflow.json + bindings.json, whose "inputs" add request fields) to use instead of the built-in one.',
  }),
  option('IMG2IMG_WORKFLOW', existingDirectory(), {
    group: COMFY,
    defaultText: '(built-in sdxl-turbo-img2img)',
    description:
      'Workflow directory for image-to-image requests (binds image and strength too) instead of the built-in one.',
  }),
  option('FAST_PATH', boolean(), {
    group: COMFY,
    default: true,
    description: 'Run the workflow with CUDA graphs and the fast encoders; 0: its plain path (for debugging).',
  }),
  option('MAX_BATCH', integer(1, 64), {
    group: COMFY,
    default: 8,
    description: 'Waiting requests of one size, steps and format run as one ComfyUI prompt, up to this many (1: off).',
  }),
  option('WARM_SIZES', sizeList(), {
    group: COMFY,
    default: [
      { width: 512, height: 512 },
      { width: 768, height: 768 },
      { width: 1024, height: 1024 },
    ],
    description:
      'Sizes (WxH) warmed up: the first loaded and run once before /ready, the CUDA graphs of each size captured right after.',
  }),
  option('MODELS_DIR', path(), {
    group: WEIGHTS,
    defaultText: '<COMFYUI_DIR>/models',
    description: 'Model weights directory (ComfyUI layout); missing weights are downloaded here at start.',
  }),
  option('SKIP_WEIGHTS_DOWNLOAD', boolean(), {
    group: WEIGHTS,
    default: false,
    description: 'Do not download or verify weights (they are provisioned another way).',
  }),
  option('STORAGE', oneOf(['local', 's3']), {
    group: STORAGE,
    default: 'local',
    description: 'Where generated images are kept: a local directory (or memory) or an S3 bucket.',
  }),
  option('FILES_DIR', path(), {
    group: STORAGE,
    defaultText: '(in memory)',
    description: 'Directory for images with STORAGE=local; unset: kept in memory (LRU, RESULT_CACHE_BYTES).',
  }),
  option('FILES_RETENTION_S', integer(0, 3650 * DAY_S), {
    group: STORAGE,
    default: DAY_S,
    description: 'Images under FILES_DIR older than this are deleted and answer 404 (0: kept whatever their age).',
  }),
  option('FILES_MAX_BYTES', integer(0, Number.MAX_SAFE_INTEGER), {
    group: STORAGE,
    default: 1024 * MIB,
    defaultText: '1073741824 (1 GiB)',
    description: 'Disk budget of FILES_DIR: past it, the oldest images are deleted first (0: no budget).',
  }),
  option('S3_ENDPOINT', httpUrl(), {
    group: STORAGE,
    defaultText: '(AWS)',
    description: 'S3-compatible endpoint (MinIO, R2, …); unset: AWS S3 in S3_REGION.',
  }),
  option('S3_REGION', text('<region>'), { group: STORAGE, default: 'us-east-1', description: 'S3 signing region.' }),
  option('S3_BUCKET', text('<name>'), { group: STORAGE, description: 'Bucket for images (required with STORAGE=s3).' }),
  option('S3_ACCESS_KEY_ID', text('<id>'), {
    group: STORAGE,
    secret: true,
    description:
      'Static S3 access key id, with S3_SECRET_ACCESS_KEY; unset: the AWS credential chain (see docs/deploy.md).',
  }),
  option('S3_SECRET_ACCESS_KEY', text('<secret>'), {
    group: STORAGE,
    secret: true,
    description: 'Static S3 secret access key, with S3_ACCESS_KEY_ID.',
  }),
  option('S3_SESSION_TOKEN', text('<token>'), {
    group: STORAGE,
    secret: true,
    description: 'Session token of static temporary S3 credentials.',
  }),
  option('S3_PREFIX', text('<prefix/>'), {
    group: STORAGE,
    description: 'Key prefix inside the bucket, e.g. images/.',
  }),
  option('S3_PUBLIC_BASE_URL', httpUrl(), {
    group: STORAGE,
    description: 'Public (CDN) URL of the bucket; image URLs point there instead of /files/{key}.',
  }),
  option('S3_FORCE_PATH_STYLE', boolean(), {
    group: STORAGE,
    defaultText: '(true with S3_ENDPOINT)',
    description: 'Path-style URLs (endpoint/bucket/key) instead of virtual-hosted (bucket.endpoint/key).',
  }),
  option('JOB_RETENTION_S', integer(1, 30 * DAY_S), {
    group: RETENTION,
    default: 3600,
    description: 'A finished job (status and result) stays readable this long, then answers 404.',
  }),
  option('MAX_RETAINED_JOBS', integer(1, 1_000_000), {
    group: RETENTION,
    default: 10_000,
    description: 'Finished jobs kept at most; past it the oldest are forgotten first.',
  }),
  option('RESULT_CACHE_BYTES', integer(MIB, Number.MAX_SAFE_INTEGER), {
    group: RETENTION,
    default: 256 * MIB,
    defaultText: '268435456 (256 MiB)',
    description:
      'Memory budget for images kept in memory (without FILES_DIR or S3), sync_mode answers included; least recently used go first.',
  }),
  option('IDEMPOTENCY_TTL_S', integer(1, 30 * DAY_S), {
    group: RETENTION,
    default: DAY_S,
    description: 'An Idempotency-Key is remembered this long after its job was accepted.',
  }),
  option('MAX_IDEMPOTENCY_KEYS', integer(1, 1_000_000), {
    group: RETENTION,
    default: 10_000,
    description: 'Idempotency keys remembered at most; past it the oldest are forgotten first.',
  }),
  option('ROLE', oneOf(['all', 'api', 'worker']), {
    group: SCALE,
    default: 'all',
    description:
      'all: API and worker in one process; api: HTTP only, runs no job (needs REDIS_URL); worker: runs jobs, serves only /health, /ready and /metrics on PORT (needs REDIS_URL).',
  }),
  option('REDIS_URL', redisUrl(), {
    group: SCALE,
    secret: true,
    defaultText: '(embedded queue)',
    description:
      'Durable BullMQ queue on this Redis, shared by every API node and worker; unset: the embedded in-memory queue (ROLE=all only).',
  }),
  option('WORKER_LOCK_MS', integer(1000, 600_000), {
    group: SCALE,
    default: 30_000,
    description:
      'A worker that stops renewing its lock on a job this long (killed, frozen, cut off) loses it; another worker runs it again.',
  }),
  option('WEBHOOK_SECRETS', webhookSecrets(), {
    group: WEBHOOKS,
    default: [],
    secret: true,
    description:
      'Comma-separated signing secrets (whsec_ then base64, as Standard Webhooks; or raw strings of 16+ bytes); each signs every webhook (rotation: old and new together). Empty: webhook_url is refused with 422.',
  }),
  option('WEBHOOK_ALLOWED_HOSTS', list(), {
    group: WEBHOOKS,
    default: [],
    description:
      'Webhook hosts (host or host:port) allowed on private, loopback, link-local and other non-public addresses; all others must resolve to public addresses.',
  }),
  option('WEBHOOK_RETRY_FOR_S', integer(1, 7 * DAY_S), {
    group: WEBHOOKS,
    default: 3600,
    description:
      'A webhook that is not answered 2xx is retried (exponential backoff with jitter) for this long, then given up.',
  }),
  option('WEBHOOK_MAX_ATTEMPTS', integer(1, 100), {
    group: WEBHOOKS,
    default: 12,
    description: 'Attempts per webhook at most, the first included.',
  }),
  option('WEBHOOK_FIRST_RETRY_MS', integer(1, 3_600_000), {
    group: WEBHOOKS,
    default: 5000,
    description:
      'Base delay before the first retry; it doubles after each failed attempt (the wait is half to all of it).',
  }),
] as const

/** Any entry of {@link OPTIONS}. */
export type AnyOption = (typeof OPTIONS)[number]

type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S

/** The config key of an environment variable: `COMFYUI_DIR` → `comfyuiDir`. */
export type KeyOf<E extends string> = CamelCase<Lowercase<E>>

type ValueOf<O extends AnyOption> = undefined extends O['default']
  ? ReturnType<O['type']['parse']> | undefined
  : ReturnType<O['type']['parse']>

/** The parsed settings, one key per option, typed from the table. */
export type OptionValues = { [O in AnyOption as KeyOf<O['env']>]: ValueOf<O> }

/**
 * The flag of an environment variable.
 * @example flagOf('COMFYUI_DIR') // '--comfyui-dir'
 */
export function flagOf(env: string): string {
  return `--${env.toLowerCase().replace(/_/g, '-')}`
}

/**
 * The config key of an environment variable.
 * @example keyOf('COMFYUI_DIR') // 'comfyuiDir'
 */
export function keyOf<E extends string>(env: E): KeyOf<E> {
  return env.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()) as KeyOf<E>
}
