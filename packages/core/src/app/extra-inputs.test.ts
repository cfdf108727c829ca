import { describe, expect, it } from 'vitest'
import type { Backend, BackendJob } from '../backend.js'
import { MemoryJobQueue } from '../queue/memory/memory-job-queue.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { createSyntheticBackend } from '../synthetic/synthetic-backend.js'
import type { ExtraInputs } from '../validation/extra-inputs.js'
import { createApp } from './create-app.js'

const INPUTS: ExtraInputs = {
  cfg: { type: 'number', minimum: 0, maximum: 10, default: 1, description: 'Classifier-free guidance scale.' },
  sampler_name: { type: 'string', enum: ['euler', 'euler_ancestral'] },
}

/** An app over the synthetic backend that records what each job's input was. */
const build = (extraInputs: ExtraInputs | undefined = INPUTS) => {
  const seen: BackendJob['input'][] = []
  const synthetic = createSyntheticBackend()
  const backend: Backend = {
    ...synthetic,
    run: (job) => {
      seen.push(job.input)
      return synthetic.run(job)
    },
  }
  const store = new MemoryImageStore()
  const queue = new MemoryJobQueue({ backend, store })
  return { app: createApp({ queue, store, metrics: queue.metrics, extraInputs }), seen }
}

const post = (app: ReturnType<typeof build>['app'], body: unknown) =>
  app.request('/generate', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })

describe('createApp with extraInputs', () => {
  it('lists them in /openapi.json as GenerateRequest properties, with their descriptions', async () => {
    const document = await (await build().app.request('/openapi.json')).json()
    const request = document.components.schemas.GenerateRequest
    expect(request.properties.cfg).toEqual(INPUTS['cfg'])
    expect(request.properties.sampler_name).toEqual({
      ...INPUTS['sampler_name'],
      description: "An input of this server's workflow.",
    })
    expect(request.properties.prompt.type).toBe('string')
    expect(request.additionalProperties).toBe(false)
    const plain = await (await build({}).app.request('/openapi.json')).json()
    expect(plain.components.schemas.GenerateRequest.properties.cfg).toBeUndefined()
  })

  it('shows them on /docs', async () => {
    const page = await (await build().app.request('/docs')).text()
    expect(page).toContain(
      '<code>cfg</code></td><td>number</td><td>≥ 0; ≤ 10; default 1</td><td>Classifier-free guidance scale.</td>',
    )
    expect(page).toContain('<code>sampler_name</code>')
  })

  it('hands the backend the values, defaults applied', async () => {
    const { app, seen } = build()
    expect((await post(app, { prompt: 'a fox', cfg: 2.5, sampler_name: 'euler' })).status).toBe(200)
    expect((await post(app, { prompt: 'a fox' })).status).toBe(200)
    expect(seen.map((input) => input.extra)).toEqual([{ cfg: 2.5, sampler_name: 'euler' }, { cfg: 1 }])
  })

  it('answers 422 for a bad extra value and for an undeclared field', async () => {
    const { app, seen } = build()
    const bad = await post(app, { prompt: 'a fox', cfg: 99 })
    expect(bad.status).toBe(422)
    expect(await bad.json()).toEqual({
      detail: [
        {
          loc: ['body', 'cfg'],
          msg: 'Input should be less than or equal to 10',
          type: 'less_than_equal',
          input: 99,
          ctx: { le: 10 },
        },
      ],
    })
    const unknown = await post(app, { prompt: 'a fox', steps_cfg: 2 })
    expect(unknown.status).toBe(422)
    expect((await unknown.json()).detail).toEqual([
      { loc: ['body', 'steps_cfg'], msg: 'Extra inputs are not permitted', type: 'extra_forbidden', input: 2 },
    ])
    expect(seen).toEqual([])
  })

  it('refuses declarations it cannot serve', () => {
    expect(() => build({ seed: { type: 'integer' } })).toThrow(
      /createApp: extraInputs: "seed": is a field of the contract/,
    )
  })
})
