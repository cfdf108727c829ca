import { MemoryJobQueue } from '@genimage/core'
import { defineQueueConformance } from './conformance.js'

defineQueueConformance('MemoryJobQueue (embedded)', async ({ backend, store, options }) => {
  const queue = new MemoryJobQueue({ backend, store, ...options })
  return { queue, close: () => queue.close() }
})
