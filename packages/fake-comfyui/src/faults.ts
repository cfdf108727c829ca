/**
 * Faults the fake can inject, each tied to a node (by id or class) and optionally limited to a number of times.
 * @module
 */

/** Where and how often a fault strikes. */
export interface FaultSpec {
  /** Node id or `class_type` where it strikes. @default 'SamplerCustom' */
  node?: string
  /** How many prompts it strikes before clearing itself. @default unlimited (1 for `crash` and `dropWebSockets`) */
  times?: number
}

/** Every fault the fake knows. */
export interface FakeFaults {
  /** The node raises (`execution_error`), by default `RuntimeError`. */
  nodeError?: (FaultSpec & { exceptionType?: string; message?: string }) | null
  /** The node raises `torch.OutOfMemoryError`, and ComfyUI unloads every model (the next prompt reloads). */
  oom?: FaultSpec | null
  /** The node never returns and ignores interrupts, like a stuck CUDA kernel. */
  hang?: FaultSpec | null
  /** The process dies when the node starts: every socket is cut and nothing answers any more. */
  crash?: FaultSpec | null
  /**
   * Every WebSocket is cut when the node starts (or at sampler step `step`); ComfyUI goes on and its messages are
   * lost until the client reconnects. `keepOut` also refuses new sockets until `setAcceptWebSockets(true)`.
   */
  dropWebSockets?: (FaultSpec & { step?: number; keepOut?: boolean }) | null
}

/** Node a fault strikes when it names none. */
export const DEFAULT_FAULT_NODE = 'SamplerCustom'

const ONCE_BY_DEFAULT = new Set<keyof FakeFaults>(['crash', 'dropWebSockets'])

/**
 * Returns the fault of that kind if it strikes this node (and this step), counting it down.
 * @example
 * if (takeFault(faults, 'oom', '13', 'SamplerCustom')) throw oomError()
 */
export function takeFault<K extends keyof FakeFaults>(
  faults: FakeFaults,
  kind: K,
  nodeId: string,
  classType: string,
  step?: number,
): NonNullable<FakeFaults[K]> | undefined {
  const fault = faults[kind]
  if (!fault) return undefined
  const target = fault.node ?? DEFAULT_FAULT_NODE
  if (target !== nodeId && target !== classType) return undefined
  const wantedStep = (fault as { step?: number }).step
  if (wantedStep !== step) return undefined
  const times = fault.times ?? (ONCE_BY_DEFAULT.has(kind) ? 1 : Number.POSITIVE_INFINITY)
  if (times <= 1) faults[kind] = null
  else fault.times = times - 1
  return fault as NonNullable<FakeFaults[K]>
}
