import type { BackendJob, JobRecord } from '@genimage/core'
import { describe, expect, it } from 'vitest'
import { createStepGate } from './controls.js'
import { createFirstLookGate } from './first-look.js'

const job = (id: string) => ({ id, signal: new AbortController().signal })
const running = (id: string) => ({ id, state: 'IN_PROGRESS' }) as JobRecord

describe('createFirstLookGate', () => {
  it('lets a job start at once, with no promise, when it was looked at or there is no grace', () => {
    const look = createFirstLookGate(500)
    look.saw(running('seen'))
    expect(look.beforeFirstStep(job('seen'))).toBeUndefined()
    expect(createFirstLookGate(0).beforeFirstStep(job('any'))).toBeUndefined()
  })

  it('holds a job not looked at until it is', async () => {
    const look = createFirstLookGate(60_000)
    let started = false
    const held = look.beforeFirstStep(job('late'))?.then(() => {
      started = true
    })
    expect(held).toBeInstanceOf(Promise)
    await Promise.resolve()
    expect(started).toBe(false)
    look.saw(running('late'))
    await held
    expect(started).toBe(true)
  })
})

describe('createStepGate', () => {
  it('lets every step run at once, with no promise, unless it holds them', async () => {
    const backendJob = job('a') as BackendJob
    const auto = createStepGate(false)
    expect(auto.beforeStep(backendJob, 1)).toBeUndefined()
    const manual = createStepGate(true)
    const held = manual.beforeStep(backendJob, 1)
    expect(held).toBeInstanceOf(Promise)
    expect(manual.held()).toEqual([{ jobId: 'a', step: 1 }])
    manual.resume()
    await held
    expect(manual.beforeStep(backendJob, 2)).toBeUndefined()
  })
})
