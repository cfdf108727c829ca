import type { Backend, BackendJob, BackendResult, BackendState } from '@genimage/core'

/** One job a {@link ManualBackend} is running, settled by the test. */
export interface HeldJob {
  readonly job: BackendJob
  /** Finishes the job with `num_images` small PNG-labelled images whose bytes name the prompt (and the image's index past the first). */
  resolve(): void
  /** Fails the job with `error`. */
  reject(error: unknown): void
}

/** A backend whose jobs run until the test settles them, and whose state the test sets. */
export interface ManualBackend {
  readonly backend: Backend
  /** Every job handed over so far, in order (a resubmitted job appears again). */
  readonly started: HeldJob[]
  /** Resolves with the `count`-th job handed over (1-based), once it is. */
  nthStarted(count: number): Promise<HeldJob>
  /** Sets what `state()` answers. */
  setState(state: BackendState): void
  /** Opens room for one more job without any job ending (as ComfyUI's batcher does when a prompt leaves the GPU). */
  openRoom(): void
}

/**
 * A backend for queue tests: nothing happens until the test settles a job, so orders and positions are exact.
 * @example const manual = manualBackend(); const first = await manual.nthStarted(1); first.resolve()
 */
export function manualBackend(options: { concurrency?: number } = {}): ManualBackend {
  const started: HeldJob[] = []
  const waiters: { count: number; resolve: (held: HeldJob) => void }[] = []
  let state: BackendState = 'ready'
  let concurrency = options.concurrency ?? 1
  const capacity = new Set<() => void>()
  const backend: Backend = {
    name: 'manual',
    get concurrency() {
      return concurrency
    },
    onCapacity: (listener) => {
      capacity.add(listener)
      return () => capacity.delete(listener)
    },
    state: () => state,
    run: (job) =>
      new Promise<BackendResult>((resolve, reject) => {
        job.signal.addEventListener('abort', () => reject(job.signal.reason), { once: true })
        const held: HeldJob = {
          job,
          reject,
          resolve: () =>
            resolve({
              images: Array.from({ length: job.input.num_images }, (_, index) => ({
                bytes: new TextEncoder().encode(`image ${index === 0 ? '' : `${index} `}of ${job.input.prompt}`),
                contentType: 'image/png' as const,
                width: job.input.width,
                height: job.input.height,
                inferenceMs: 1,
                encodeMs: 1,
              })),
            }),
        }
        started.push(held)
        for (const waiter of waiters.filter((w) => w.count <= started.length)) {
          waiters.splice(waiters.indexOf(waiter), 1)
          waiter.resolve(started[waiter.count - 1]!)
        }
      }),
  }
  return {
    backend,
    started,
    setState: (next) => {
      state = next
    },
    openRoom: () => {
      concurrency += 1
      for (const listener of capacity) listener()
    },
    nthStarted: (count) =>
      started.length >= count
        ? Promise.resolve(started[count - 1]!)
        : new Promise((resolve) => waiters.push({ count, resolve })),
  }
}
