import { createClient, type GenerateRequest, type GenerateResponse, type QueueStatus } from '@genimage/client'
import { resolveApi, stopStaleMockWorkers } from './api.js'
import { describeError } from './errors.js'
import { readPicture, stepsWithPicture } from './picture.js'
import './style.css'

const SIZES = [256, 320, 384, 448, 512, 576, 640, 704, 768, 832, 896, 960, 1024]

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id)
  if (!element) throw new Error(`#${id} is missing from index.html`)
  return element as T
}

const form = $<HTMLFormElement>('generate-form')
const prompt = $<HTMLTextAreaElement>('prompt')
const width = $<HTMLSelectElement>('width')
const height = $<HTMLSelectElement>('height')
const steps = $<HTMLSelectElement>('steps')
const seed = $<HTMLInputElement>('seed')
const picture = $<HTMLInputElement>('picture')
const strength = $<HTMLInputElement>('strength')
const generateButton = $<HTMLButtonElement>('generate')
const cancelButton = $<HTMLButtonElement>('cancel')
const progress = $<HTMLProgressElement>('progress')
const status = $<HTMLParagraphElement>('status')
const errorBox = $<HTMLParagraphElement>('error')
const result = $<HTMLElement>('result')
const image = $<HTMLImageElement>('image')
const imageMeta = $<HTMLSpanElement>('image-meta')
const reuseSeed = $<HTMLButtonElement>('reuse-seed')
const timings = $<HTMLDListElement>('timings')
const apiMode = $<HTMLParagraphElement>('api-mode')
const fields: Record<string, HTMLElement> = {
  prompt,
  width,
  height,
  num_inference_steps: steps,
  seed,
  image_url: picture,
  strength,
}

for (const select of [width, height]) {
  select.append(...SIZES.map((size) => new Option(`${size} px`, String(size), size === 512, size === 512)))
}

const page = new URL(location.href)
const api = resolveApi(page, import.meta.env.VITE_GENIMAGE_URL, document)
if (api.kind === 'mock') {
  const { startMockApi } = await import('./mock-api.js')
  await startMockApi(page.searchParams.get('scenario'))
  apiMode.textContent = 'Mocked API (service worker): set VITE_GENIMAGE_URL or ?api= for a real server'
} else {
  await stopStaleMockWorkers()
  apiMode.textContent =
    api.baseUrl === page.origin ? 'genimage server (this origin)' : `genimage server at ${api.baseUrl}`
}
apiMode.dataset.kind = api.kind

const client = createClient({ baseUrl: api.baseUrl })
let running: AbortController | undefined
let lastSeed: number | undefined

const showStatus = (text: string, fraction?: number) => {
  status.textContent = text
  progress.hidden = fraction === undefined
  if (fraction !== undefined) progress.value = fraction
}

const showQueueStatus = (next: QueueStatus) => {
  if (next.status === 'IN_QUEUE') {
    showStatus(next.queue_position === 0 ? 'In queue: next in line' : `In queue: position ${next.queue_position}`, 0)
  } else if (next.status === 'IN_PROGRESS') {
    const { step, total_steps } = next.progress
    showStatus(step === 0 ? 'Starting…' : `Step ${step} of ${total_steps}`, step / total_steps)
  } else {
    showStatus('Finishing…', 1)
  }
}

const showError = (error: unknown) => {
  const view = describeError(error, api.baseUrl)
  errorBox.textContent = view.message
  errorBox.hidden = false
  const field = view.field ? fields[view.field] : undefined
  if (field) {
    field.setAttribute('aria-invalid', 'true')
    field.focus()
  }
}

const showResult = async (response: GenerateResponse) => {
  image.alt = prompt.value
  image.width = response.image.width
  image.height = response.image.height
  image.src = response.image.url
  await image.decode().catch(() => {})
  lastSeed = response.seed
  const kib = (response.image.file_size / 1024).toFixed(1)
  imageMeta.textContent = `${response.image.width}×${response.image.height} · ${response.image.content_type} · ${kib} KiB · seed ${response.seed}`
  const rows: [string, number][] = [
    ['Queue', response.timings.queue_ms],
    ['Inference', response.timings.inference_ms],
    ['Encode', response.timings.encode_ms],
    ['Total', response.timings.total_ms],
  ]
  timings.replaceChildren(
    ...rows.flatMap(([label, ms]) => {
      const term = document.createElement('dt')
      term.textContent = label
      const value = document.createElement('dd')
      value.textContent = `${Math.round(ms)} ms`
      return [term, value]
    }),
  )
  result.hidden = false
}

const readInput = async (): Promise<GenerateRequest> => {
  const input: GenerateRequest = {
    prompt: prompt.value.trim(),
    width: Number(width.value),
    height: Number(height.value),
    num_inference_steps: Number(steps.value),
  }
  if (seed.value.trim() !== '') input.seed = Number(seed.value)
  const file = picture.files?.[0]
  if (file) {
    input.image_url = await readPicture(file)
    input.strength = Number(strength.value)
    const chosen = stepsWithPicture(input.strength, Number(steps.value))
    if (chosen === undefined) delete input.num_inference_steps
  }
  return input
}

form.addEventListener('submit', async (event) => {
  event.preventDefault()
  if (running) return
  for (const field of Object.values(fields)) field.removeAttribute('aria-invalid')
  errorBox.hidden = true
  // The status and the image shown are those of the last request: a new one clears them, whether it fails or not.
  showStatus('')
  result.hidden = true
  if (!prompt.value.trim()) {
    showError(new Error('Write a prompt first: what should the image show?'))
    prompt.setAttribute('aria-invalid', 'true')
    prompt.focus()
    return
  }
  running = new AbortController()
  generateButton.disabled = true
  cancelButton.disabled = false
  showStatus('Submitting…', 0)
  try {
    const response = await client.subscribe(await readInput(), {
      signal: running.signal,
      onQueueUpdate: showQueueStatus,
    })
    showStatus('Done', 1)
    await showResult(response)
  } catch (error) {
    showStatus('')
    showError(error)
  } finally {
    running = undefined
    generateButton.disabled = false
    cancelButton.disabled = true
  }
})

cancelButton.addEventListener('click', () => running?.abort())
reuseSeed.addEventListener('click', () => {
  if (lastSeed !== undefined) seed.value = String(lastSeed)
})

document.body.dataset.ready = 'true'
