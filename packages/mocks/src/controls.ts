import type { BackendJob } from '@genimage/core'

/** A job held at a sampling step, waiting for the test to release it. */
interface HeldStep {
  jobId: string
  step: number
  release: () => void
}

/**
 * Drives mocked generations by hand: in `manual` mode every sampling step waits until the test calls
 * {@link MockControls.step} or {@link MockControls.finish}, so queue positions and progress are exact.
 */
export interface MockControls {
  /** True when generations wait for {@link step}; false when they run on their own. */
  readonly manual: boolean
  /** Jobs currently held at a step, oldest first, as `{ jobId, step }` (step = the step about to run, 1-based). */
  held(): { jobId: string; step: number }[]
  /** Resolves once a job is held at a step (the first one when several run). */
  waitForHeld(): Promise<{ jobId: string; step: number }>
  /** Lets the oldest held job run one step; resolves when it is held again or has finished. */
  step(): Promise<void>
  /** Releases every held and future step until the queue is empty, then goes back to holding. */
  finish(): Promise<void>
  /** Stops holding: every held and future step runs on its own until {@link hold} is called. */
  resume(): void
  /** Holds steps again after {@link resume} (a no-op in `auto` mode). */
  hold(): void
}

/** The controls plus the hook the synthetic backend awaits before each step. */
export interface StepGate extends MockControls {
  /** Resolves when the step may run: `undefined` when it may at once (nothing is held). */
  beforeStep(job: BackendJob, step: number): Promise<void> | undefined
  /** Called by the mock when a job completes, so pending waits settle. */
  jobCompleted(jobId: string): void
  /** Resolves when no job is running or queued (set by the mock). */
  idle: () => Promise<void>
}

/**
 * Creates the step gate of a mock; with `manual: false` it never holds anything.
 * @example const gate = createStepGate(true)
 */
export function createStepGate(manual: boolean): StepGate {
  const heldSteps: HeldStep[] = []
  let waiters: (() => void)[] = []
  let holding = manual
  const wake = (): void => {
    const pending = waiters
    waiters = []
    for (const resolve of pending) resolve()
  }
  const nextChange = (): Promise<void> => new Promise((resolve) => waiters.push(resolve))

  const gate: StepGate = {
    manual,
    idle: async () => {},
    held: () => heldSteps.map(({ jobId, step }) => ({ jobId, step })),
    beforeStep(job, step) {
      if (!holding) return undefined
      return new Promise<void>((resolve) => {
        heldSteps.push({ jobId: job.id, step, release: resolve })
        const onAbort = (): void => {
          const index = heldSteps.findIndex((held) => held.release === resolve)
          if (index >= 0) heldSteps.splice(index, 1)
          resolve()
          wake()
        }
        job.signal.addEventListener('abort', onAbort, { once: true })
        wake()
      })
    },
    jobCompleted() {
      wake()
    },
    async waitForHeld() {
      while (heldSteps.length === 0) await nextChange()
      const { jobId, step } = heldSteps[0]!
      return { jobId, step }
    },
    async step() {
      const held = heldSteps.shift()
      if (!held)
        throw new Error('No generation is waiting at a step; submit one first (or await controls.waitForHeld())')
      const changed = nextChange()
      held.release()
      await changed
    },
    async finish() {
      gate.resume()
      try {
        await gate.idle()
      } finally {
        gate.hold()
      }
    },
    resume() {
      holding = false
      for (const held of heldSteps.splice(0)) held.release()
    },
    hold() {
      holding = manual
    },
  }
  return gate
}
