/**
 * A fake ComfyUI 0.8.0 for tests without a GPU: HTTP + WebSocket protocol, validation, queue, history,
 * interrupts, binary image frames, timing knobs and faults; in-process or as a child process.
 * @module
 */

export type { FakeCliSettings } from './cli-args.js'
export { parseFakeArgs } from './cli-args.js'
// Running it as a process
export type { CommandLine } from './command.js'
export { fakeComfyCommand } from './command.js'
export type { ExecutorEvent, FakeTimings, HistoryEntry, QueueItem } from './executor.js'
export type { FakeFaults, FaultSpec } from './faults.js'
export { DEFAULT_FAULT_NODE } from './faults.js'
export type { InputSpec, NodeInfo } from './object-info.js'
export { buildObjectInfo, GENIMAGE_OUTPUT_CLASS, SAMPLER_NAMES } from './object-info.js'

// Protocol data, to compare with transcripts of real ComfyUI
export type { MessageName, Outgoing, SequenceContext, SequenceName } from './sequence.js'
export { BINARY_EVENT, MESSAGES, SEQUENCES } from './sequence.js'
// The server
export type { FakeComfyUIOptions, FakeEvent, RecordedRequest } from './server.js'
export { FakeComfyUI } from './server.js'
export type { RecordedMessage } from './transcripts/condense.js'
export { condense } from './transcripts/condense.js'
export type { NodeErrors, PromptError, PromptGraph, PromptNode, ValidationResult } from './validate.js'
export { validatePrompt } from './validate.js'
