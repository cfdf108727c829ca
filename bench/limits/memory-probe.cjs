// Preload for diagnosing the server's memory (node --expose-gc --require bench/limits/memory-probe.cjs …):
// on SIGUSR2 writes one JSON line to stderr with process.memoryUsage() and V8's heap statistics, before and after a
// forced full GC, so that retained data (survives the GC) can be told from GC/allocator slack (does not).
const v8 = require('node:v8')

const MIB = 2 ** 20
const snapshot = () => {
  const usage = process.memoryUsage()
  const heap = v8.getHeapStatistics()
  const spaces = Object.fromEntries(
    v8.getHeapSpaceStatistics().map((space) => [space.space_name, Math.round(space.space_used_size / MIB)]),
  )
  return {
    rss: Math.round(usage.rss / MIB),
    heap_total: Math.round(usage.heapTotal / MIB),
    heap_used: Math.round(usage.heapUsed / MIB),
    external: Math.round(usage.external / MIB),
    array_buffers: Math.round(usage.arrayBuffers / MIB),
    malloced: Math.round(heap.malloced_memory / MIB),
    spaces_used: spaces,
  }
}

process.on('SIGUSR2', () => {
  const before = snapshot()
  globalThis.gc?.()
  globalThis.gc?.()
  setTimeout(() => {
    process.stderr.write(`${JSON.stringify({ memory_probe: { before_gc: before, after_gc: snapshot() } })}\n`)
  }, 200)
})
