import { describe, expect, it } from 'vitest'
import { jobErrors } from '../queue/errors.js'
import type { JobRecord } from '../queue/port.js'
import { jobErrorToProblem } from '../queue/problems.js'
import { MemoryImageStore } from '../store/memory-store.js'
import { webhookPayload } from './payload.js'

const failed = (error: JobRecord['error']): JobRecord => ({
  id: 'req-1',
  owner: 'anonymous',
  input: {
    prompt: 'a fox',
    negative_prompt: '',
    width: 512,
    height: 512,
    num_inference_steps: 1,
    seed: 1,
    output_format: 'png',
    sync_mode: false,
    num_images: 1,
  },
  state: 'COMPLETED',
  queuePosition: 0,
  progress: { step: 0, total_steps: 1 },
  logs: [],
  outcome: 'failed',
  error,
  acceptedAt: 0,
  finishedAt: 1,
})

describe('webhookPayload of a failed job', () => {
  it.each([
    ['a backend refusal (422)', { status: 422, message: 'the image could not be decoded', kind: 'invalid_input' }],
    ['a timeout (504)', jobErrors.timedOut(1000)],
    ['a cancel (400)', jobErrors.cancelled()],
  ])('carries exactly the body its result answers: %s', async (_, error) => {
    const payload = await webhookPayload(failed(error), new MemoryImageStore(), (key) => `https://x/files/${key}`)
    expect(payload).toEqual({
      request_id: 'req-1',
      status: 'ERROR',
      payload: jobErrorToProblem(error).toBody(),
      error: jobErrorToProblem(error).message,
    })
  })

  it('gives a 422 its list of issues, as GET response_url does', async () => {
    const error = { status: 422, message: 'the image could not be decoded', kind: 'invalid_input' }
    const { payload } = await webhookPayload(failed(error), new MemoryImageStore(), (key) => key)
    expect(payload).toEqual({ detail: [{ loc: ['body'], msg: 'the image could not be decoded', type: 'value_error' }] })
  })
})
