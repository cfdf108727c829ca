// The tutorial's proxy pattern (reference/seed-fal-comfyui-sdxl-turbo.md, `generate_image`), reimplemented in Node
// as the baseline of bench/proxy/run.mjs: POST /prompt with the tutorial's SaveImage workflow, poll
// GET /history/{prompt_id} every POLL_MS until `status.completed`, read the PNG from ComfyUI's output directory,
// keep it (the tutorial uploads it to a CDN; this keeps it in memory, as genimage's default store does) and answer
// with its URL. Node's fetch with keep-alive instead of Python's `requests`: if anything, faster than the original.
// Usage: COMFYUI_URL=… COMFYUI_OUTPUT=… PORT=… POLL_MS=500 node bench/proxy/tutorial-baseline.mjs
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { join } from 'node:path'

const comfy = process.env.COMFYUI_URL
const outputDir = process.env.COMFYUI_OUTPUT
const pollMs = Number(process.env.POLL_MS ?? 500)
const port = Number(process.env.PORT)
const template = JSON.parse(readFileSync(new URL('./tutorial-workflow.json', import.meta.url), 'utf8'))
const files = new Map()
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

const buildWorkflow = (request) => {
  const workflow = structuredClone(template)
  workflow['6'].inputs.text = request.prompt
  workflow['7'].inputs.text = request.negative_prompt ?? 'text, watermark, blurry, low quality'
  workflow['5'].inputs.width = request.width ?? 512
  workflow['5'].inputs.height = request.height ?? 512
  workflow['13'].inputs.noise_seed = request.seed ?? 0
  workflow['22'].inputs.steps = request.num_inference_steps ?? 1
  return workflow
}

const queuePrompt = async (prompt) => {
  const response = await fetch(`${comfy}/prompt`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  })
  if (!response.ok) throw new Error(`POST /prompt: ${response.status} ${await response.text()}`)
  return (await response.json()).prompt_id
}

const pollForCompletion = async (promptId) => {
  for (;;) {
    const history = await (await fetch(`${comfy}/history/${promptId}`)).json()
    if (history[promptId]?.status?.completed) return history[promptId]
    await sleep(pollMs)
  }
}

const outputImagePath = (history) => {
  for (const output of Object.values(history.outputs ?? {})) {
    const image = output.images?.[0]
    if (image?.filename) return join(outputDir, image.subfolder ?? '', image.filename)
  }
  return undefined
}

const generate = async (request) => {
  const promptId = await queuePrompt(buildWorkflow(request))
  const history = await pollForCompletion(promptId)
  const path = outputImagePath(history)
  if (!path) throw new Error('No image output found')
  const bytes = await readFile(path)
  const key = `${promptId}.png`
  files.set(key, bytes)
  return {
    image: {
      url: `http://127.0.0.1:${port}/files/${key}`,
      content_type: 'image/png',
      file_name: key,
      file_size: bytes.byteLength,
      width: request.width ?? 512,
      height: request.height ?? 512,
    },
    seed: request.seed ?? 0,
  }
}

const server = createServer(async (req, res) => {
  const send = (status, body, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type })
    res.end(type === 'application/json' ? JSON.stringify(body) : body)
  }
  try {
    if (req.method === 'GET' && req.url === '/health') return send(200, { status: 'ok' })
    if (req.method === 'GET' && req.url?.startsWith('/files/')) {
      const bytes = files.get(req.url.slice('/files/'.length))
      return bytes ? send(200, bytes, 'image/png') : send(404, { detail: 'not found' })
    }
    if (req.method === 'POST' && req.url === '/generate') {
      const chunks = []
      for await (const chunk of req) chunks.push(chunk)
      return send(200, await generate(JSON.parse(Buffer.concat(chunks).toString('utf8'))))
    }
    send(404, { detail: 'not found' })
  } catch (error) {
    send(500, { detail: error.message })
  }
})
server.listen(port, '127.0.0.1', () => console.log(`tutorial baseline on :${port}, polling every ${pollMs} ms`))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
