import { verifyWebhook } from '@genimage/client'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { asRaw, startReceiver, type WebhookReceiver } from '../webhooks/receiver.js'
import { dataUriBytes, decodeImage, meanPixelDifference, noisePng, solidPng } from './images.js'
import type { ContractTarget, RunningTarget, TargetOptions } from './target.js'

/** Prompts differ per test so no target can answer from a cache. */
let promptCounter = 0
const prompt = (label: string): string => {
  promptCounter += 1
  return `contract ${label} ${Date.now()} ${promptCounter}`
}

const SLOW_BODY = { width: 1024, height: 1024, num_inference_steps: 4 }

/** The queue limit of the slow group. */
const MAX_QUEUE = 2

/** The signing secret of the webhooks group; its receiver listens on loopback, which the target allowlists. */
const WEBHOOK_SECRET = 'whsec_Y29udHJhY3Qtd2ViaG9vay1zZWNyZXQtMTIzNA=='

interface Api {
  target: RunningTarget
  request(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>
  generate(body: unknown, headers?: Record<string, string>): Promise<Response>
  submit(body: unknown, headers?: Record<string, string>): Promise<Response>
  waitForCompletion(id: string, timeoutMs?: number): Promise<Record<string, unknown>>
}

const connect = (target: RunningTarget): Api => {
  const api: Api = {
    target,
    request(path, init = {}) {
      const { json, ...rest } = init
      const headers = new Headers(rest.headers)
      if (json !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json')
      return target.fetch(path.startsWith('http') ? path : `${target.baseUrl}${path}`, {
        ...rest,
        headers,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      })
    },
    generate: (body, headers) => api.request('/generate', { method: 'POST', json: body, headers }),
    submit: (body, headers) => api.request('/queue/generate', { method: 'POST', json: body, headers }),
    async waitForCompletion(id, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const status = (await (await api.request(`/queue/requests/${id}/status`)).json()) as Record<string, unknown>
        if (status.status === 'COMPLETED') return status
        if (Date.now() > deadline) throw new Error(`request ${id} did not complete: ${JSON.stringify(status)}`)
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
  }
  return api
}

/** Starts the target with `options` for the tests registered inside `body`. */
const withTarget = (target: ContractTarget, options: TargetOptions, body: (api: () => Api) => void): void => {
  let api: Api | undefined
  beforeAll(async () => {
    api = connect(await target.start(options))
  }, 120_000)
  afterAll(async () => {
    await api?.target.close()
  })
  body(() => api!)
}

const expectRequestId = (response: Response): void => {
  expect(response.headers.get('x-request-id')).toMatch(/^[\w.:@-]{1,128}$/)
}

const readSse = async (response: Response): Promise<Record<string, unknown>[]> => {
  const text = await response.text()
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => /^event: status$/m.test(block))
    .map((block) =>
      JSON.parse(
        block
          .split(/\r?\n/)
          .find((line) => line.startsWith('data: '))!
          .slice(6),
      ),
    )
}

/**
 * The contract every genimage implementation must honour: the same assertions for the mocks in-process, the mock
 * HTTP server, the server with a fake ComfyUI and the server with a real one.
 */
export function defineContractSuite(target: ContractTarget): void {
  describe(`contract: ${target.name}`, () => {
    describe('generate', () => {
      withTarget(target, {}, (api) => {
        it('answers POST /generate with an image of the requested size that the URL serves', async () => {
          const response = await api().generate({ prompt: prompt('generate'), width: 768, height: 512, seed: 7 })
          expect(response.status).toBe(200)
          expectRequestId(response)
          const body = (await response.json()) as Record<string, any>
          expect(body.seed).toBe(7)
          expect(body.image).toMatchObject({ content_type: 'image/png', width: 768, height: 512 })
          expect(Object.keys(body.timings).sort()).toEqual(['encode_ms', 'inference_ms', 'queue_ms', 'total_ms'])
          const file = await api().request(body.image.url)
          expect(file.status).toBe(200)
          expect(file.headers.get('content-type')).toBe('image/png')
          expect(file.headers.get('cache-control')).toContain('immutable')
          const bytes = new Uint8Array(await file.arrayBuffer())
          expect(bytes.byteLength).toBe(body.image.file_size)
          expect(await decodeImage(bytes)).toEqual({ format: 'png', width: 768, height: 512 })
        })

        it('picks a seed when none is given and returns it', async () => {
          const body = (await (await api().generate({ prompt: prompt('seed') })).json()) as Record<string, any>
          expect(Number.isSafeInteger(body.seed)).toBe(true)
          expect(body.seed).toBeGreaterThanOrEqual(0)
          expect(body.image).toMatchObject({ width: 512, height: 512 })
        })

        it('gives the same image for the same prompt, seed and size', async () => {
          const request = { prompt: prompt('determinism'), seed: 123, width: 256, height: 256 }
          const first = (await (await api().generate(request)).json()) as Record<string, any>
          const second = (await (await api().generate(request)).json()) as Record<string, any>
          expect(second.image.url).toBe(first.image.url)
        })

        it.each([
          ['jpeg', 'image/jpeg'],
          ['webp', 'image/webp'],
          ['png', 'image/png'],
        ])('encodes output_format %s', async (format, contentType) => {
          const response = await api().generate({
            prompt: prompt(format),
            output_format: format,
            width: 256,
            height: 384,
          })
          const body = (await response.json()) as Record<string, any>
          expect(body.image.content_type).toBe(contentType)
          expect(body.image.file_name).toMatch(new RegExp(`\\.${format}$`))
          const bytes = new Uint8Array(await (await api().request(body.image.url)).arrayBuffer())
          expect(await decodeImage(bytes)).toEqual({ format, width: 256, height: 384 })
        })

        it('returns a data URI with sync_mode', async () => {
          const body = (await (
            await api().generate({ prompt: prompt('sync'), sync_mode: true, width: 256, height: 256 })
          ).json()) as Record<string, any>
          const { contentType, bytes } = dataUriBytes(body.image.url)
          expect(contentType).toBe('image/png')
          expect(bytes.byteLength).toBe(body.image.file_size)
          expect(await decodeImage(bytes)).toEqual({ format: 'png', width: 256, height: 256 })
        })
      })
    })

    describe('bad input', () => {
      withTarget(target, {}, (api) => {
        it.each([
          ['width', 'multiple_of', { width: 513 }],
          ['height', 'less_than_equal', { height: 1032 }],
          ['width', 'greater_than_equal', { width: 128 }],
          ['width', 'int_type', { width: '512' }],
          ['num_inference_steps', 'greater_than_equal', { num_inference_steps: 0 }],
          ['num_inference_steps', 'less_than_equal', { num_inference_steps: 5 }],
          ['seed', 'greater_than_equal', { seed: -1 }],
          ['seed', 'less_than_equal', { seed: 2 ** 53 }],
          ['output_format', 'enum', { output_format: 'gif' }],
          ['sync_mode', 'bool_type', { sync_mode: 'yes' }],
          ['guidance_scale', 'extra_forbidden', { guidance_scale: 7 }],
          ['prompt', 'string_too_short', { prompt: '' }],
          ['prompt', 'string_pattern_mismatch', { prompt: ' \n ' }],
          ['prompt', 'string_too_long', { prompt: 'x'.repeat(2001) }],
          ['prompt', 'missing', { prompt: undefined }],
        ])('answers 422 naming %s (%s)', async (field: string, type: string, override: Record<string, unknown>) => {
          for (const send of [api().generate, api().submit]) {
            const response = await send({ prompt: 'valid', ...override })
            expect(response.status).toBe(422)
            expectRequestId(response)
            const body = (await response.json()) as { detail: { loc: unknown[]; msg: string; type: string }[] }
            expect(body.detail).toContainEqual(expect.objectContaining({ loc: ['body', field], type }))
            expect(body.detail[0]!.msg.length).toBeGreaterThan(5)
          }
        })

        it('answers 400 for malformed JSON', async () => {
          const response = await api().request('/generate', {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{"prompt": "a fox",',
          })
          expect(response.status).toBe(400)
          expect(((await response.json()) as { detail: string }).detail).toMatch(/JSON/)
        })

        it('answers 422 for a JSON body that is not an object', async () => {
          const response = await api().generate(['a fox'])
          expect(response.status).toBe(422)
          expect(((await response.json()) as { detail: { loc: unknown[] }[] }).detail[0]!.loc).toEqual(['body'])
        })

        it('answers 415 for a body that is not JSON', async () => {
          const response = await api().request('/generate', {
            method: 'POST',
            headers: { 'content-type': 'text/plain' },
            body: 'prompt=a fox',
          })
          expect(response.status).toBe(415)
          expect(((await response.json()) as { detail: string }).detail).toMatch(/application\/json/)
        })

        it('answers 413 for a body over the limit (64 KiB plus room for a base64 image_url of 4 MiB)', async () => {
          const response = await api().generate({ prompt: 'x', padding: 'y'.repeat(5_700_000) })
          expect(response.status).toBe(413)
        })

        it('answers 404 for unknown request ids on every queue route', async () => {
          const id = 'no-such-request'
          for (const path of [
            `/queue/requests/${id}/status`,
            `/queue/requests/${id}`,
            `/queue/requests/${id}/status/stream`,
          ]) {
            const response = await api().request(path)
            expect(response.status, path).toBe(404)
            expectRequestId(response)
            expect(((await response.json()) as { detail: string }).detail).toContain(id)
          }
          const cancel = await api().request(`/queue/requests/${id}/cancel`, { method: 'PUT' })
          expect(cancel.status).toBe(404)
          expect(await cancel.json()).toEqual({ status: 'NOT_FOUND', detail: `Request ${id} not found` })
        })

        it.each([
          '/files/..%2F..%2Fetc%2Fpasswd',
          '/files/%2e%2e%2fpackage.json',
          '/files/..%5Cpackage.json',
          '/files/abc.exe',
          '/files/.png',
          '/files/a%00b.png',
        ])('never serves anything outside the store for %s', async (path) => {
          const response = await api().request(path)
          expect([400, 404]).toContain(response.status)
          expect(response.headers.get('content-type')).toMatch(/application\/json/)
        })

        it('answers 404 for a well-formed key that is not stored', async () => {
          const response = await api().request('/files/0123456789abcdef0123456789abcdef.png')
          expect(response.status).toBe(404)
        })
      })
    })

    describe('num_images and image-to-image', () => {
      withTarget(target, {}, (api) => {
        const json = async (response: Response): Promise<Record<string, any>> => {
          expect(response.status, await response.clone().text()).toBe(200)
          return (await response.json()) as Record<string, any>
        }
        const fetchBytes = async (url: string): Promise<Uint8Array> => {
          const response = await api().request(url)
          expect(response.status).toBe(200)
          return new Uint8Array(await response.arrayBuffer())
        }
        const expect422 = async (response: Response, field: string, msg?: RegExp) => {
          expect(response.status).toBe(422)
          const { detail } = (await response.json()) as { detail: { loc: unknown[]; msg: string }[] }
          expect(detail).toContainEqual(expect.objectContaining({ loc: ['body', field] }))
          if (msg) expect(detail.find((issue) => issue.loc[1] === field)!.msg).toMatch(msg)
        }

        it('answers num_images 1 with one image in images, the same as image', async () => {
          const body = await json(
            await api().generate({ prompt: prompt('one'), num_images: 1, width: 256, height: 256 }),
          )
          expect(body.images).toEqual([body.image])
        })

        it('makes num_images 4 distinct fetchable images, image i being the image of seed + i', async () => {
          const request = { prompt: prompt('four'), seed: 40, width: 256, height: 256, num_inference_steps: 2 }
          const body = await json(await api().generate({ ...request, num_images: 4 }))
          expect(body.seed).toBe(40)
          expect(body.images).toHaveLength(4)
          expect(body.image).toEqual(body.images[0])
          expect(new Set(body.images.map((image: { url: string }) => image.url)).size).toBe(4)
          for (const [i, image] of (body.images as Record<string, any>[]).entries()) {
            const bytes = await fetchBytes(image.url)
            expect(bytes.byteLength).toBe(image.file_size)
            expect(await decodeImage(bytes)).toEqual({ format: 'png', width: 256, height: 256 })
            const alone = await json(await api().generate({ ...request, seed: 40 + i }))
            // Batched and alone differ at most by the rounding of batched GPU kernels (exact on CPU backends).
            expect(await meanPixelDifference(bytes, await fetchBytes(alone.image.url))).toBeLessThan(2)
          }
        })

        it('answers num_images through the queue and as data URIs with sync_mode', async () => {
          const { request_id, response_url } = (await (
            await api().submit({ prompt: prompt('queued four'), num_images: 3, width: 256, height: 256 })
          ).json()) as Record<string, string>
          expect(await api().waitForCompletion(request_id!)).toMatchObject({ outcome: 'succeeded' })
          const queued = await json(await api().request(response_url!))
          expect(queued.images).toHaveLength(3)
          const sync = await json(
            await api().generate({
              prompt: prompt('sync two'),
              num_images: 2,
              sync_mode: true,
              width: 256,
              height: 256,
            }),
          )
          expect(sync.images).toHaveLength(2)
          for (const image of sync.images as { url: string; file_size: number }[]) {
            const { contentType, bytes } = dataUriBytes(image.url)
            expect(contentType).toBe('image/png')
            expect(bytes.byteLength).toBe(image.file_size)
          }
        })

        it('starts from a data URI: the image depends on the input and differs from text-to-image', async () => {
          const request = { prompt: prompt('img2img'), seed: 9, width: 256, height: 256, num_inference_steps: 2 }
          const red = await json(await api().generate({ ...request, image_url: await solidPng(64, 48, [220, 30, 40]) }))
          expect(red.image).toMatchObject({ width: 256, height: 256 })
          const redBytes = await fetchBytes(red.image.url)
          expect(await decodeImage(redBytes)).toEqual({ format: 'png', width: 256, height: 256 })
          const blue = await json(
            await api().generate({ ...request, image_url: await solidPng(64, 48, [20, 40, 230]) }),
          )
          const textOnly = await json(await api().generate(request))
          // A request run again gives the same image (difference 0). The random-weight SDXL of the GPU benchmark moves
          // the mean by less than one level (0.84 measured on an H200); the synthetic painter by far more.
          expect(await meanPixelDifference(redBytes, await fetchBytes(blue.image.url))).toBeGreaterThan(0.25)
          expect(await meanPixelDifference(redBytes, await fetchBytes(textOnly.image.url))).toBeGreaterThan(0.25)
        })

        it("starts from this server's own /files/ URL of a previous result, and from a picture over 64 KiB", async () => {
          const first = await json(await api().generate({ prompt: prompt('source'), seed: 3, width: 256, height: 256 }))
          const request = { prompt: prompt('from a file'), seed: 3, width: 256, height: 256, strength: 0.75 }
          const fromFile = await json(await api().generate({ ...request, image_url: first.image.url, num_images: 2 }))
          expect(fromFile.images).toHaveLength(2)
          const textOnly = await json(
            await api().generate({ prompt: request.prompt, seed: 3, width: 256, height: 256 }),
          )
          const bytes = await fetchBytes(fromFile.image.url)
          expect(await meanPixelDifference(bytes, await fetchBytes(textOnly.image.url))).toBeGreaterThan(1)
          const big = await noisePng(200, 200)
          expect(big.length).toBeGreaterThan(100_000)
          await json(await api().generate({ ...request, image_url: big }))
        })

        it('applies the strength rules: strength only with image_url, strength × steps ≥ 1, steps defaulted', async () => {
          const image_url = await solidPng(32, 32, [10, 200, 90])
          await expect422(await api().generate({ prompt: prompt('no image'), strength: 0.5 }), 'strength')
          await expect422(
            await api().submit({ prompt: prompt('product'), image_url, strength: 0.3, num_inference_steps: 3 }),
            'strength',
            /strength × num_inference_steps/,
          )
          // Without num_inference_steps, strength 0.25 needs 4 steps (allowed) and 0.2 needs 5 (over the maximum).
          await json(
            await api().generate({ prompt: prompt('quarter'), image_url, strength: 0.25, width: 256, height: 256 }),
          )
          await expect422(await api().generate({ prompt: prompt('fifth'), image_url, strength: 0.2 }), 'strength')
        })

        it.each([
          ['bad base64', 'data:image/png;base64,iVBORw0KGgo!!!!', /base64/],
          [
            'wrong magic bytes',
            `data:image/png;base64,${Buffer.from('GIF89a, not a PNG').toString('base64')}`,
            /magic/,
          ],
          ['an own /files/ URL of an unknown key', '/files/0123456789abcdef0123456789abcdef.png', /no file/],
          ['a remote URL that is not allowlisted', 'https://images.example.com/fox.png', /not allowlisted/],
        ])('refuses %s with 422 at body.image_url', async (_, url, msg) => {
          const image_url = url.startsWith('/') ? `${api().target.baseUrl}${url}` : url
          for (const send of [api().generate, api().submit]) {
            await expect422(await send({ prompt: prompt('bad image'), image_url }), 'image_url', msg)
          }
        })
      })
    })

    describe('queue', () => {
      withTarget(target, {}, (api) => {
        it('runs a submitted request to completion and serves its result', async () => {
          const submitted = await api().submit({ prompt: prompt('queue'), seed: 5, width: 256, height: 256 })
          expect(submitted.status).toBe(202)
          expectRequestId(submitted)
          const body = (await submitted.json()) as Record<string, any>
          expect(body).toMatchObject({ status: 'IN_QUEUE', queue_position: expect.any(Number) })
          const id = body.request_id as string
          expect(submitted.headers.get('x-fal-request-id')).toBe(id)
          expect(body.status_url).toBe(`${body.response_url}/status`)
          expect(body.cancel_url).toBe(`${body.response_url}/cancel`)
          const done = await api().waitForCompletion(id)
          expect(done).toMatchObject({ status: 'COMPLETED', request_id: id, outcome: 'succeeded' })
          const result = await api().request(body.response_url)
          expect(result.status).toBe(200)
          expect(result.headers.get('x-fal-request-id')).toBe(id)
          const generated = (await result.json()) as Record<string, any>
          expect(generated).toMatchObject({ seed: 5, image: { width: 256, height: 256 } })
          const cancel = await api().request(body.cancel_url, { method: 'PUT' })
          expect(cancel.status).toBe(400)
          expect(await cancel.json()).toMatchObject({
            status: 'ALREADY_COMPLETED',
            detail: expect.stringContaining(id),
          })
        })

        it('joins the first request when an Idempotency-Key repeats with the same body', async () => {
          const key = `contract-${Date.now()}-${Math.random()}`
          const body = { prompt: prompt('idempotent'), width: 256, height: 256 }
          const first = (await (await api().generate(body, { 'idempotency-key': key })).json()) as Record<string, any>
          const again = (await (await api().generate(body, { 'idempotency-key': key })).json()) as Record<string, any>
          expect(again.seed).toBe(first.seed)
          expect(again.image.url).toBe(first.image.url)
          const queued = (await (await api().submit(body, { 'idempotency-key': `${key}-q` })).json()) as Record<
            string,
            any
          >
          const queuedAgain = (await (await api().submit(body, { 'idempotency-key': `${key}-q` })).json()) as Record<
            string,
            any
          >
          expect(queuedAgain.request_id).toBe(queued.request_id)
          const conflict = await api().generate({ ...body, prompt: 'another body' }, { 'idempotency-key': key })
          expect(conflict.status).toBe(409)
        })
      })
    })

    describe('webhooks', () => {
      let receiver: WebhookReceiver
      beforeAll(async () => {
        receiver = await startReceiver()
      })
      afterAll(() => receiver.close())
      withTarget(target, { webhooks: { secret: WEBHOOK_SECRET, allowedHosts: ['127.0.0.1'] } }, (api) => {
        it('POSTs a request submitted with webhook_url to it, signed, with the body its response_url answers', async () => {
          const path = `/contract-${Date.now()}`
          const submitted = await api().submit({
            prompt: prompt('webhook'),
            width: 256,
            height: 256,
            webhook_url: `${receiver.url}${path}`,
          })
          expect(submitted.status).toBe(202)
          const { request_id, response_url } = (await submitted.json()) as Record<string, string>
          const [hook] = await receiver.waitFor(1, path)
          expect(hook!.headers['webhook-id']).toBe(request_id)
          const payload = await verifyWebhook(asRaw(hook!), WEBHOOK_SECRET)
          const result = await (await api().request(response_url!)).json()
          expect(payload).toEqual({ request_id, status: 'OK', payload: result, error: null })
        })

        it('refuses a webhook_url on POST /generate and a non-http one on the queue with 422', async () => {
          const sync = await api().generate({ prompt: prompt('webhook sync'), webhook_url: `${receiver.url}/x` })
          expect(sync.status).toBe(422)
          expect(await sync.json()).toMatchObject({ detail: [{ loc: ['body', 'webhook_url'] }] })
          const ftp = await api().submit({ prompt: prompt('webhook ftp'), webhook_url: 'ftp://example.com/hook' })
          expect(ftp.status).toBe(422)
          expect(await ftp.json()).toMatchObject({ detail: [{ loc: ['body', 'webhook_url'], type: 'url_scheme' }] })
        })
      })
    })

    describe('queue with slow generations', () => {
      withTarget(target, { slow: true, maxQueueSize: MAX_QUEUE }, (api) => {
        const cancelAll = async (ids: string[]) => {
          for (const id of ids) await api().request(`/queue/requests/${id}/cancel`, { method: 'PUT' })
        }

        it('streams status events over SSE: IN_PROGRESS with step progress before COMPLETED', async () => {
          const { request_id } = (await (await api().submit({ prompt: prompt('sse'), ...SLOW_BODY })).json()) as Record<
            string,
            string
          >
          const response = await api().request(`/queue/requests/${request_id}/status/stream`)
          expect(response.status).toBe(200)
          expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/)
          const events = await readSse(response)
          expect(events.at(-1)).toMatchObject({ status: 'COMPLETED', request_id, outcome: 'succeeded' })
          const progressed = events
            .slice(0, -1)
            .filter((event) => event.status === 'IN_PROGRESS' && (event.progress as { step: number }).step >= 1)
          expect(progressed.length).toBeGreaterThanOrEqual(1)
          for (const event of events.filter((e) => e.status === 'IN_PROGRESS')) {
            expect(event.progress).toMatchObject({ total_steps: SLOW_BODY.num_inference_steps })
          }
        })

        const readStatus = async (id: string): Promise<Record<string, any>> =>
          (await (await api().request(`/queue/requests/${id}/status`)).json()) as Record<string, any>

        it('reports queue positions, cancels a queued request and a running one', async () => {
          const ids: string[] = []
          // Submit until one waits: a target with several workers or instances runs the first few at once.
          let firstQueued: Record<string, any> | undefined
          while (!firstQueued && ids.length < 16) {
            const response = await api().submit({ prompt: prompt(`slow ${ids.length}`), ...SLOW_BODY })
            expect(response.status).toBe(202)
            const id = ((await response.json()) as { request_id: string }).request_id
            ids.push(id)
            const status = await readStatus(id)
            if (status.status === 'IN_QUEUE') firstQueued = status
          }
          // Every job before it was running when read, and a job never goes back to waiting: nobody is ahead of it.
          expect(firstQueued).toMatchObject({ status: 'IN_QUEUE', queue_position: 0 })
          const next = await api().submit({ prompt: prompt('slow behind'), ...SLOW_BODY })
          ids.push(((await next.json()) as { request_id: string }).request_id)
          // Across processes a worker may take a waiting job at any moment; those still waiting keep their order.
          const positions = (await Promise.all(ids.map(readStatus)))
            .filter((status) => status.status === 'IN_QUEUE')
            .map((status) => status.queue_position as number)
          expect(positions).toEqual([...positions].sort((a, b) => a - b))
          const last = ids.at(-1)!
          const cancel = await api().request(`/queue/requests/${last}/cancel`, { method: 'PUT' })
          expect(cancel.status).toBe(202)
          expect(await cancel.json()).toEqual({ status: 'CANCELLATION_REQUESTED' })
          expect(await api().waitForCompletion(last)).toMatchObject({ status: 'COMPLETED', outcome: 'cancelled' })
          const result = await api().request(`/queue/requests/${last}`)
          expect(result.status).toBe(400)
          expect(((await result.json()) as { detail: string }).detail).toMatch(/cancel/i)
          const first = ids[0]!
          const firstCancel = await api().request(`/queue/requests/${first}/cancel`, { method: 'PUT' })
          expect(firstCancel.status).toBe(202)
          expect(await api().waitForCompletion(first)).toMatchObject({ outcome: 'cancelled' })
          await cancelAll(ids)
        })

        it('never holds more than the queue limit waiting, and answers the submit past it 429 with Retry-After', async () => {
          const ids: string[] = []
          let rejected: Response | undefined
          for (let index = 0; index < 24 && !rejected; index += 1) {
            const response = await api().submit({ prompt: prompt(`full ${index}`), ...SLOW_BODY })
            if (response.status === 429) {
              rejected = response
              break
            }
            expect(response.status).toBe(202)
            ids.push(((await response.json()) as { request_id: string }).request_id)
            // Reads can only undercount the waiting jobs (a job leaves IN_QUEUE and never re-enters it), so a limit
            // that lets even one job too many wait shows here.
            const waiting = (await Promise.all(ids.map(readStatus))).filter((s) => s.status === 'IN_QUEUE').length
            expect(waiting).toBeLessThanOrEqual(MAX_QUEUE)
          }
          expect(rejected?.status).toBe(429)
          expect(Number(rejected!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
          expectRequestId(rejected!)
          // The queue's own count at the moment it refused: exactly the limit.
          expect(((await rejected!.json()) as { detail: string }).detail).toMatch(
            new RegExp(`queue is full \\(${MAX_QUEUE} waiting\\)`, 'i'),
          )
          await cancelAll(ids)
        })
      })
    })

    describe('timeouts', () => {
      withTarget(target, { slow: true, jobTimeoutMs: 150 }, (api) => {
        it('ends a generation that runs past the time limit with 504', async () => {
          const response = await api().generate({ prompt: prompt('timeout'), ...SLOW_BODY })
          expect(response.status).toBe(504)
          expect(((await response.json()) as { detail: string }).detail).toMatch(/timed out/i)
        })
      })
    })

    describe('auth', () => {
      withTarget(target, { apiKeys: ['contract-key'] }, (api) => {
        it('requires the API key on generate and queue routes, in Key and Bearer form', async () => {
          const missing = await api().generate({ prompt: prompt('auth') })
          expect(missing.status).toBe(401)
          expect(((await missing.json()) as { detail: string }).detail).toMatch(/API key/)
          const wrong = await api().submit({ prompt: prompt('auth') }, { authorization: 'Key nope' })
          expect(wrong.status).toBe(401)
          const viaKey = await api().generate(
            { prompt: prompt('auth'), width: 256, height: 256 },
            { authorization: 'Key contract-key' },
          )
          expect(viaKey.status).toBe(200)
          const viaBearer = await api().submit({ prompt: prompt('auth') }, { authorization: 'Bearer contract-key' })
          expect(viaBearer.status).toBe(202)
          expect((await api().request('/health')).status).toBe(200)
        })
      })
    })

    describe('isolation between API keys', () => {
      withTarget(target, { apiKeys: ['contract-key-a', 'contract-key-b'] }, (api) => {
        const as = (key: string) => ({ authorization: `Bearer ${key}` })

        it('answers 404 to another key on every queue route, as for an unknown id, and leaves the job alone', async () => {
          const submitted = await api().submit(
            { prompt: prompt('isolated'), width: 256, height: 256 },
            as('contract-key-a'),
          )
          expect(submitted.status).toBe(202)
          const { request_id: id } = (await submitted.json()) as { request_id: string }
          const cancel = await api().request(`/queue/requests/${id}/cancel`, {
            method: 'PUT',
            headers: as('contract-key-b'),
          })
          expect(cancel.status).toBe(404)
          expect(await cancel.json()).toEqual({ status: 'NOT_FOUND', detail: `Request ${id} not found` })
          for (const path of [
            `/queue/requests/${id}/status`,
            `/queue/requests/${id}/status/stream`,
            `/queue/requests/${id}`,
          ]) {
            const asB = await api().request(path, { headers: as('contract-key-b') })
            expect(asB.status, path).toBe(404)
            expect(((await asB.json()) as { detail: string }).detail).toBe(`Request ${id} not found`)
          }
          const stream = await api().request(`/queue/requests/${id}/status/stream`, { headers: as('contract-key-a') })
          expect((await readSse(stream)).at(-1)).toMatchObject({ status: 'COMPLETED', outcome: 'succeeded' })
          const result = await api().request(`/queue/requests/${id}`, { headers: as('contract-key-a') })
          expect(result.status).toBe(200)
        })

        it("scopes Idempotency-Key to the API key: B reusing A's key starts B's own job, never a 409", async () => {
          const key = `shared-${Date.now()}`
          const first = await api().submit(
            { prompt: prompt('idem a') },
            { ...as('contract-key-a'), 'idempotency-key': key },
          )
          const second = await api().submit(
            { prompt: prompt('idem b') },
            { ...as('contract-key-b'), 'idempotency-key': key },
          )
          expect(first.status).toBe(202)
          expect(second.status).toBe(202)
          const firstId = ((await first.json()) as { request_id: string }).request_id
          const secondId = ((await second.json()) as { request_id: string }).request_id
          expect(secondId).not.toBe(firstId)
          const again = await api().submit(
            { prompt: prompt('idem b again') },
            { ...as('contract-key-a'), 'idempotency-key': key },
          )
          expect(again.status).toBe(409)
        })

        it.each([
          ['empty', ''],
          ['256 characters long', 'k'.repeat(256)],
          ['not printable ASCII', 'key\twith-a-tab'],
        ])('answers 400 to an Idempotency-Key that is %s', async (_label, key) => {
          for (const send of [api().generate, api().submit]) {
            const response = await send(
              { prompt: prompt('bad key') },
              { ...as('contract-key-a'), 'idempotency-key': key },
            )
            expect(response.status).toBe(400)
            expectRequestId(response)
            expect(((await response.json()) as { detail: string }).detail).toMatch(
              /^Idempotency-Key must be 1 to 255 printable ASCII characters/,
            )
          }
        })
      })
    })

    describe('operations', () => {
      withTarget(target, {}, (api) => {
        it('answers /health and /ready', async () => {
          const health = await api().request('/health')
          expect(await health.json()).toEqual({ status: 'ok' })
          expectRequestId(health)
          const ready = await api().request('/ready')
          expect(ready.status).toBe(200)
          expect(await ready.json()).toMatchObject({ status: 'ready', backend: expect.any(String), queue_depth: 0 })
        })

        it('echoes a caller-supplied x-request-id', async () => {
          const response = await api().request('/health', { headers: { 'x-request-id': 'trace-42' } })
          expect(response.headers.get('x-request-id')).toBe('trace-42')
        })

        it('serves Prometheus metrics that count generations', async () => {
          await api().generate({ prompt: prompt('metrics'), width: 256, height: 256 })
          const text = await (await api().request('/metrics')).text()
          expect(text).toMatch(/^# TYPE genimage_jobs_total counter$/m)
          expect(text).toMatch(/^genimage_jobs_total\{outcome="succeeded"\} [1-9]\d*$/m)
          expect(text).toMatch(/^genimage_queue_depth \d+$/m)
        })

        it('serves the OpenAPI document and a rendered reference', async () => {
          const document = (await (await api().request('/openapi.json')).json()) as Record<string, any>
          expect(document.openapi).toBe('3.1.0')
          expect(Object.keys(document.paths)).toContain('/queue/requests/{request_id}/status/stream')
          const docs = await api().request('/docs')
          expect(docs.headers.get('content-type')).toMatch(/text\/html/)
          expect(await docs.text()).toContain('/queue/generate')
        })
      })
    })
  })
}
