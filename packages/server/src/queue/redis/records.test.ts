import { type JobImage, type JobRecord, resolveGenerateRequest } from '@genimage/core'
import { describe, expect, it } from 'vitest'
import { type ResultData, succeededRecord } from './records.js'

const image = (key: string): JobImage => ({ key, contentType: 'image/png', fileSize: 10, width: 256, height: 256 })

const running: JobRecord = {
  id: 'job-1',
  owner: 'anonymous',
  input: resolveGenerateRequest({ prompt: 'a fox', seed: 1, num_images: 2, num_inference_steps: 2 }),
  state: 'IN_PROGRESS',
  queuePosition: 0,
  progress: { step: 1, total_steps: 2 },
  logs: [],
  acceptedAt: 1000,
}

describe('succeededRecord', () => {
  it('completes the record with every image of the result, in order', () => {
    const result: ResultData = {
      images: [image('a.png'), image('b.png')],
      timings: { inference_ms: 5, encode_ms: 1 },
      startedAt: 1010,
      finishedAt: 1020,
    }
    expect(succeededRecord(running, result)).toMatchObject({
      state: 'COMPLETED',
      outcome: 'succeeded',
      images: [{ key: 'a.png' }, { key: 'b.png' }],
      progress: { step: 2, total_steps: 2 },
    })
  })

  it('reads a result an older worker wrote with one image as images: [image]', () => {
    const old = {
      image: image('old.png'),
      timings: { inference_ms: 5, encode_ms: 1 },
      startedAt: 1010,
      finishedAt: 1020,
    }
    expect(succeededRecord(running, old as unknown as ResultData).images).toEqual([image('old.png')])
  })
})
