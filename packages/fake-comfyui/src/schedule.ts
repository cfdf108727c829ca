/**
 * Execution order and output caching, ported from ComfyUI 0.8.0 `comfy_execution/graph.py` (`TopologicalSort`,
 * `ExecutionList.ux_friendly_pick_node`) and the classic cache of `comfy_execution/caching.py` (input signatures),
 * so the fake runs nodes in the order real ComfyUI does and reports the same `execution_cached` lists.
 * @module
 */
import type { NodeInfo } from './object-info.js'
import { isLink, type PromptGraph } from './validate.js'

/** Classes whose `IS_CHANGED` returns `time.time()`: never served from the cache. */
const ALWAYS_CHANGED = new Set(['SaveImageWebsocket', 'GenimageOutput'])

/**
 * The order ComfyUI's `ExecutionList` picks nodes in: a topological dissolve from the output nodes, preferring
 * output nodes, then nodes that unblock an output, then nodes two steps from one, else the first ready node.
 */
export class ExecutionList {
  private readonly pending = new Map<string, true>()
  private readonly blockCount = new Map<string, number>()
  private readonly blocking = new Map<string, Map<string, Set<number>>>()

  constructor(
    private readonly graph: PromptGraph,
    private readonly objectInfo: Record<string, NodeInfo>,
    private readonly isCached: (nodeId: string) => boolean,
  ) {}

  /** Adds an output node and everything it needs that is not cached (`add_node`). */
  addNode(nodeId: string): void {
    const stack = [nodeId]
    const links: [string, number, string][] = []
    while (stack.length > 0) {
      const id = stack.pop()!
      if (this.pending.has(id)) continue
      this.pending.set(id, true)
      this.blockCount.set(id, 0)
      this.blocking.set(id, new Map())
      for (const value of Object.values(this.graph[id]?.inputs ?? {})) {
        if (!isLink(value)) continue
        const [from, slot] = value
        if (!this.isCached(from)) stack.push(from)
        links.push([from, slot, id])
      }
    }
    for (const [from, slot, to] of links) this.addStrongLink(from, slot, to)
  }

  private addStrongLink(from: string, slot: number, to: string): void {
    if (this.isCached(from)) return
    this.addNode(from)
    const blocked = this.blocking.get(from)!
    if (!blocked.has(to)) {
      blocked.set(to, new Set())
      this.blockCount.set(to, (this.blockCount.get(to) ?? 0) + 1)
    }
    blocked.get(to)!.add(slot)
  }

  /** True when every node ran. */
  isEmpty(): boolean {
    return this.pending.size === 0
  }

  /** Picks the next node to run (`stage_node_execution` + `ux_friendly_pick_node`). */
  next(): string | undefined {
    const ready = [...this.pending.keys()].filter((id) => this.blockCount.get(id) === 0)
    const isOutput = (id: string) => this.objectInfo[this.graph[id]?.class_type ?? '']?.output_node === true
    const blockedBy = (id: string) => [...(this.blocking.get(id)?.keys() ?? [])]
    return (
      ready.find(isOutput) ??
      ready.find((id) => blockedBy(id).some(isOutput)) ??
      ready.find((id) => blockedBy(id).some((b) => blockedBy(b).some(isOutput))) ??
      ready[0]
    )
  }

  /** Marks a node done and unblocks what waited on it (`pop_node`). */
  complete(nodeId: string): void {
    this.pending.delete(nodeId)
    for (const blocked of this.blocking.get(nodeId)?.keys() ?? []) {
      this.blockCount.set(blocked, (this.blockCount.get(blocked) ?? 1) - 1)
    }
    this.blocking.delete(nodeId)
  }
}

/**
 * The input signature of every node: its class and constant inputs, with links replaced by the signature of the
 * node they come from. Two nodes with one signature compute the same thing; the classic cache keys on it.
 * @example
 * const signatures = inputSignatures(graph) // Map { '20' => '["CheckpointLoaderSimple",…]', … }
 */
export function inputSignatures(graph: PromptGraph): Map<string, string> {
  const out = new Map<string, string>()
  const visit = (id: string, path: Set<string>): string => {
    const known = out.get(id)
    if (known !== undefined) return known
    const node = graph[id]
    if (!node || path.has(id)) return `missing:${id}`
    path.add(id)
    const inputs = Object.keys(node.inputs ?? {})
      .sort()
      .map((name) => {
        const value = node.inputs[name]
        return [name, isLink(value) ? { link: visit(value[0], path), slot: value[1] } : value]
      })
    path.delete(id)
    const changed = ALWAYS_CHANGED.has(node.class_type) ? `${Date.now()}:${Math.random()}` : null
    const signature = JSON.stringify([node.class_type, changed, inputs])
    out.set(id, signature)
    return signature
  }
  for (const id of Object.keys(graph)) visit(id, new Set())
  return out
}
