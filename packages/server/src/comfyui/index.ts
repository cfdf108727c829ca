/**
 * The ComfyUI side of the server: the {@link createComfyBackend | backend}, the HTTP + WebSocket bridge, workflows
 * as data (`workflow.json` + `bindings.json`) and the installer of our ComfyUI custom nodes.
 * @module
 */

// The backend
export type { ComfyBackend, ComfyBackendOptions, WarmSize } from './backend.js'
export { createComfyBackend, DEFAULT_WARM_SIZES, DEFAULT_WARMUP } from './backend.js'
export type { BatchEntry, BatcherOptions, GroupControl } from './batcher.js'
export { Batcher } from './batcher.js'
export type { NodeInfoLookup } from './bindings-check.js'
export { checkWorkflow, FIELD_SPECS } from './bindings-check.js'
// The bridge
export type { ComfyClientOptions } from './client.js'
export { ComfyClient } from './client.js'
// ComfyUI custom nodes
export { COMFY_LAUNCHER, defaultComfyNodesDir, installComfyNodes } from './custom-nodes.js'
// Workflows: the extra inputs a bindings.json declares
export { declaredInputs } from './declared-inputs.js'
// Errors
export {
  ComfyConnectionError,
  ComfyExecutionError,
  ComfyHttpError,
  ComfyInterruptedError,
  ComfyPromptRejectedError,
  ComfyUnavailableError,
  isOutOfMemory,
  toBackendError,
} from './errors.js'
export type { ExtraInput } from './extra-inputs.js'
export { bindExtraInputs, extraInputBindingProblems, parseExtraInputs, toExtraInputs } from './extra-inputs.js'
export type { ComfyHttpOptions, PromptRequest } from './http.js'
export { ComfyHttp } from './http.js'
export type { ImageInfo } from './image-info.js'
export { imageInfo } from './image-info.js'
export type { ComfyLogger } from './logger.js'
export { silentLogger } from './logger.js'
// Pools of instances
export type {
  ComfyInstance,
  ComfyInstanceEvents,
  ComfyInstanceOptions,
  ComfyPool,
  ComfyPoolOptions,
  InstanceSlot,
  InstanceState,
  PlanOptions,
} from './pool/index.js'
export {
  createComfyInstance,
  createComfyPool,
  gpuList,
  InstanceLostError,
  MAX_MOVES,
  planInstances,
  visibleGpus,
} from './pool/index.js'
export type { ComfyImage, ComfyRunResult, RunOptions, RunPhase } from './prompt-run.js'
// Protocol
export type {
  BinaryFrame,
  ComfyGraph,
  ComfyMessage,
  ComfyNode,
  ExecutionErrorData,
  ExecutionInterruptedData,
  FileRef,
  HistoryEntry,
  InputSpec,
  NodeErrorEntry,
  NodeInfo,
  PromptAccepted,
  QueueEntry,
  QueueState,
} from './protocol.js'
export { BINARY_EVENT, decodeBinaryFrame, parseMessage } from './protocol.js'
export type { ComfySocketOptions, ComfySocketState } from './socket.js'
export { ComfySocket } from './socket.js'
// Workflows
export type { BatchPlan, BindableField, Binding, Workflow, WorkflowFiles } from './workflow.js'
export {
  BATCH_CLASSES,
  batchPlan,
  buildBatchGraph,
  buildGraph,
  defaultWorkflowDir,
  FAST_PATH_CLASSES,
  plainPath,
  readWorkflowFiles,
  WorkflowError,
} from './workflow.js'
