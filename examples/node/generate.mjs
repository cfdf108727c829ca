#!/usr/bin/env node
// Generates one image with @genimage/client and saves it: `node generate.mjs "a red fox" --out fox.png`.
import { writeFile } from 'node:fs/promises'
import { extname } from 'node:path'
import { parseArgs } from 'node:util'
import {
  createClient,
  isApiError,
  isConnectionError,
  isTimeoutError,
  isUserAbortError,
  RateLimitError,
  ValidationError,
} from '@genimage/client'

const USAGE = `Usage: node generate.mjs "<prompt>" --out <file> [options]

Generates an image with a genimage server and saves it.

Options:
  -o, --out <file>        where to save the image; .png, .jpg/.jpeg or .webp picks the format (required)
  -W, --width <px>        256 to 1024, a multiple of 8 (default 512)
  -H, --height <px>       256 to 1024, a multiple of 8 (default 512)
  -s, --steps <n>         sampling steps, 1 to 4 (default 1)
      --seed <n>          seed, for a reproducible image (default: the server picks one)
      --negative <text>   negative prompt (default: the server's)
      --url <url>         genimage server (default $GENIMAGE_URL or http://localhost:8787)
      --timeout <s>       give up after this many seconds (default 180)
  -h, --help              show this help

The API key, if the server needs one, is read from $GENIMAGE_API_KEY.
Example: node generate.mjs "a red fox in the snow, watercolor" --out fox.png --width 768 --steps 4`

const FORMATS = { '.png': 'png', '.jpg': 'jpeg', '.jpeg': 'jpeg', '.webp': 'webp' }

/** A mistake in the command line: printed with the usage hint, exit code 2. */
class UsageError extends Error {}

function integer(name, value) {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number (got '${value}')`)
  return Number(value)
}

function parse(argv) {
  let parsed
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string', short: 'o' },
        width: { type: 'string', short: 'W' },
        height: { type: 'string', short: 'H' },
        steps: { type: 'string', short: 's' },
        seed: { type: 'string' },
        negative: { type: 'string' },
        url: { type: 'string' },
        timeout: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    })
  } catch (error) {
    // parseArgs says "Unknown option '--bogus'" and the like.
    throw new UsageError(error.message.replace(/\. To specify a positional.*$/s, ''))
  }
  const { values, positionals } = parsed
  if (values.help) return { help: true }
  if (positionals.length === 0) throw new UsageError('missing the prompt: node generate.mjs "a red fox" --out fox.png')
  if (positionals.length > 1) throw new UsageError(`one prompt only; quote it (got ${positionals.length} words)`)
  if (!values.out) throw new UsageError('missing --out <file>, for example --out fox.png')
  const format = FORMATS[extname(values.out).toLowerCase()]
  if (!format) throw new UsageError(`--out must end in .png, .jpg, .jpeg or .webp (got '${values.out}')`)
  const url = values.url ?? process.env.GENIMAGE_URL ?? 'http://localhost:8787'
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url must be an http(s) URL (got '${url}')`)
  const timeout = integer('timeout', values.timeout) ?? 180
  return {
    url,
    out: values.out,
    timeout,
    input: {
      prompt: positionals[0],
      negative_prompt: values.negative,
      width: integer('width', values.width),
      height: integer('height', values.height),
      num_inference_steps: integer('steps', values.steps),
      seed: integer('seed', values.seed),
      output_format: format,
    },
  }
}

/** A one-line progress display on stderr: redrawn in place on a terminal, one line per change otherwise. */
function progressBar(stream = process.stderr) {
  let last = ''
  const width = 24
  const draw = (line) => {
    if (line === last) return
    last = line
    if (stream.isTTY) stream.write(`\r\x1b[2K${line}`)
    else stream.write(`${line}\n`)
  }
  return {
    queued: (position) => draw(position === 0 ? 'queued: next in line' : `queued: position ${position}`),
    step: (step, total) => {
      if (step === 0) return draw('starting…')
      const filled = Math.round((step / total) * width)
      draw(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] step ${step}/${total}`)
    },
    done: () => {
      if (stream.isTTY && last) stream.write('\n')
    },
  }
}

/** The message a person needs for each kind of failure. */
function explain(error, url) {
  if (error instanceof ValidationError) {
    const fields = error.issues.map((issue) => `${issue.loc.slice(1).join('.') || 'body'}: ${issue.msg}`)
    return `invalid request: ${fields.join('; ') || error.detail}`
  }
  if (error instanceof RateLimitError) {
    return `the server is busy (queue full); retry in ${error.retryAfter ?? 'a few'} s`
  }
  if (isApiError(error) && error.status === 401) return 'the server wants an API key: set GENIMAGE_API_KEY'
  if (isApiError(error)) return `the server answered ${error.status}: ${error.detail}`
  if (isTimeoutError(error))
    return `no image within ${Math.round(error.timeout / 1000)} s; try --timeout or fewer --steps`
  if (isConnectionError(error)) return `cannot reach ${url}: is the server running? (npm start, or --url)`
  if (isUserAbortError(error)) return 'cancelled'
  return error instanceof Error ? error.message : String(error)
}

async function main(argv) {
  let options
  try {
    options = parse(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`error: ${error.message}\nRun with --help for usage.\n`)
    return 2
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`)
    return 0
  }
  const client = createClient({ baseUrl: options.url, apiKey: process.env.GENIMAGE_API_KEY || undefined })
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort(new Error('interrupted')))
  const bar = progressBar()
  try {
    const result = await client.subscribe(options.input, {
      signal: controller.signal,
      timeout: options.timeout * 1000,
      onQueueUpdate: (status) => {
        if (status.status === 'IN_QUEUE') bar.queued(status.queue_position)
      },
      onProgress: ({ step, total_steps }) => bar.step(step, total_steps),
    })
    bar.done()
    const response = await fetch(result.image.url)
    if (!response.ok) throw new Error(`could not download ${result.image.url}: HTTP ${response.status}`)
    await writeFile(options.out, new Uint8Array(await response.arrayBuffer()))
    const { width, height } = result.image
    process.stderr.write(
      `saved ${options.out} (${width}×${height}, seed ${result.seed}, ${Math.round(result.timings.total_ms)} ms)\n`,
    )
    return 0
  } catch (error) {
    bar.done()
    process.stderr.write(`error: ${explain(error, options.url)}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv.slice(2))
