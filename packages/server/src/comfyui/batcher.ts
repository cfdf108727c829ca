/**
 * Dynamic batching of the jobs the queue hands to the ComfyUI backend: a job of `num_images` images is that many
 * entries (seeds `seed`, `seed + 1`, …), and entries with the same key (size, steps, format) that are already waiting
 * run as one ComfyUI prompt, up to `maxBatch` entries (so a job's images share one prompt unless `maxBatch` splits
 * them). Nothing waits for a batch to fill: a prompt
 * is submitted as soon as ComfyUI has nothing on the GPU (no prompt of ours before its output node), or as soon as
 * `maxBatch` jobs of one key wait and fewer than `depth` prompts are in ComfyUI. Each job keeps its own cancel (a
 * cancelled job leaves its batch with all its images; the prompt is stopped only when every job of it is gone),
 * progress and log.
 *
 * The queue decides how many jobs it hands over from {@link Batcher.concurrency}, read at every hand-over: while
 * nothing of ours is on the GPU it makes room for one batch, otherwise for none (without batching: room for one
 * more prompt queued in ComfyUI, as before), so jobs that cannot start yet stay in the queue, with their queue
 * positions, rather than here. The queue hands over when a job arrives or ends, and when a prompt reaches its output
 * node ({@link Batcher.onCapacity}): the next batch is then built and queued in ComfyUI while the running prompt
 * still encodes and sends its images, so it starts as soon as that prompt ends.
 * @module
 */
import type { BackendImage, BackendJob, ResolvedGenerateRequest } from '@genimage/core'

/** One image to make: its job, and the job's input with this image's seed (`num_images` 1). */
export interface BatchEntry {
  readonly job: BackendJob
  readonly input: ResolvedGenerateRequest
}

/** What a group's runner gets besides its entries. */
export interface GroupControl {
  /** Aborted when every job of the group was cancelled. */
  readonly signal: AbortSignal
  /** The jobs of the group still wanted (not cancelled), for progress and logs. */
  live(): readonly BackendJob[]
  /** Call when the prompt reaches its output node: its GPU work is done, the next prompt may be submitted. */
  outputReached(): void
}

/** Options of {@link Batcher}. */
export interface BatcherOptions {
  /**
   * Entries in one prompt at most (1: no batching) for the jobs of `job`'s key, or in general without a job; read at
   * every hand-over, so it may change (once the workflow is known).
   */
  maxBatch(job?: BackendJob): number
  /** Prompts in ComfyUI at once at most (one running, the rest queued there). @default 2 */
  depth?: number
  /** Jobs with equal keys may share a prompt. */
  key(job: BackendJob): string
  /** Runs a group as one prompt; resolves with one image per entry, in order. */
  run(entries: readonly BatchEntry[], control: GroupControl): Promise<BackendImage[]>
}

interface Member {
  job: BackendJob
  /** Image i of the job, once its prompt is done. */
  images: (BackendImage | undefined)[]
  /** Images still to come. */
  missing: number
  resolve(images: BackendImage[]): void
  reject(error: unknown): void
  settled: boolean
  groups: Set<Group>
  onAbort(): void
}

interface Entry extends BatchEntry {
  member: Member
  /** Which image of its job. */
  index: number
}

interface Group {
  entries: Entry[]
  controller: AbortController
  /** Reached its output node (or settled): no longer holds the GPU. */
  pastGpu: boolean
}

/** Groups waiting images into prompts; see the module comment. */
export class Batcher {
  private readonly pending: Entry[] = []
  private readonly groups = new Set<Group>()
  private held = 0
  private flushQueued = false
  private readonly depth: number
  private readonly capacityListeners = new Set<() => void>()

  constructor(private readonly options: BatcherOptions) {
    this.depth = options.depth ?? 2
  }

  /** How many jobs the queue may have handed over now: those held here, plus room for a batch that can start. */
  get concurrency(): number {
    if (this.groups.size >= this.depth) return this.held
    const maxBatch = this.options.maxBatch()
    if (maxBatch === 1) return this.held + 1
    if (this.gpuBusy()) return this.held
    return this.held + Math.max(1, maxBatch - this.pending.length)
  }

  /**
   * Registers `listener`, called when a prompt reaches its output node: room for the next batch opened without a job
   * ending, so the queue may hand it over now and ComfyUI queues it behind the running prompt.
   */
  onCapacity(listener: () => void): () => void {
    this.capacityListeners.add(listener)
    return () => this.capacityListeners.delete(listener)
  }

  private gpuBusy(): boolean {
    for (const group of this.groups) if (!group.pastGpu) return true
    return false
  }

  /** Jobs held (waiting here or in a prompt). */
  get size(): number {
    return this.held
  }

  /** Runs one job's `num_images` images (seeds `seed + i`), batched with whatever waits beside them. */
  run(job: BackendJob): Promise<BackendImage[]> {
    if (job.signal.aborted) return Promise.reject(job.signal.reason)
    return new Promise<BackendImage[]>((resolve, reject) => {
      const count = Math.max(1, job.input.num_images)
      const member: Member = {
        job,
        images: new Array(count).fill(undefined),
        missing: count,
        settled: false,
        groups: new Set(),
        resolve: (images) => this.settle(member, () => resolve(images)),
        reject: (error) => this.settle(member, () => reject(error)),
        onAbort: () => this.cancel(member),
      }
      this.held += 1
      for (let index = 0; index < count; index += 1) {
        const input = { ...job.input, seed: job.input.seed + index, num_images: 1 }
        this.pending.push({ job, input, member, index })
      }
      job.signal.addEventListener('abort', member.onAbort, { once: true })
      this.queueFlush()
    })
  }

  private settle(member: Member, done: () => void): void {
    if (member.settled) return
    member.settled = true
    this.held -= 1
    member.job.signal.removeEventListener('abort', member.onAbort)
    done()
  }

  private cancel(member: Member): void {
    const reason = member.job.signal.reason
    for (let index = this.pending.length - 1; index >= 0; index -= 1) {
      if (this.pending[index]!.member === member) this.pending.splice(index, 1)
    }
    member.reject(reason)
    for (const group of member.groups) {
      if (group.entries.every((entry) => entry.member.settled)) group.controller.abort(reason)
    }
  }

  /** After the current tick: jobs handed over together by one pump of the queue land in one batch. */
  private queueFlush(): void {
    if (this.flushQueued) return
    this.flushQueued = true
    setImmediate(() => {
      this.flushQueued = false
      this.flush()
    })
  }

  private flush(): void {
    while (this.pending.length > 0 && this.groups.size < this.depth) {
      const key = this.options.key(this.pending[0]!.job)
      const sameKey = this.pending.filter((entry) => this.options.key(entry.job) === key)
      const maxBatch = this.options.maxBatch(this.pending[0]!.job)
      if (this.gpuBusy() && sameKey.length < maxBatch) return
      const entries = sameKey.slice(0, maxBatch)
      for (const entry of entries) this.pending.splice(this.pending.indexOf(entry), 1)
      this.start(entries)
    }
  }

  private start(entries: Entry[]): void {
    const group: Group = { entries, controller: new AbortController(), pastGpu: false }
    for (const entry of entries) entry.member.groups.add(group)
    this.groups.add(group)
    const control: GroupControl = {
      signal: group.controller.signal,
      live: () => [...new Set(entries.filter((entry) => !entry.member.settled).map((entry) => entry.job))],
      outputReached: () => {
        if (group.pastGpu) return
        group.pastGpu = true
        this.queueFlush()
        for (const listener of this.capacityListeners) listener()
      },
    }
    const done = () => {
      group.pastGpu = true
      this.groups.delete(group)
      for (const entry of entries) entry.member.groups.delete(group)
      this.queueFlush()
    }
    this.options.run(entries, control).then(
      (images) => {
        done()
        entries.forEach((entry, index) => {
          const { member } = entry
          const image = images[index]
          if (!image) {
            member.reject(new Error(`the batch returned ${images.length} images for ${entries.length} entries`))
            return
          }
          member.images[entry.index] = image
          member.missing -= 1
          if (member.missing === 0) member.resolve(member.images as BackendImage[])
        })
      },
      (error: unknown) => {
        done()
        for (const { member } of entries) member.reject(member.job.signal.aborted ? member.job.signal.reason : error)
      },
    )
  }
}
