/**
 * Outbound requests under SSRF rules: address classification, the guard and a guarded request.
 * @module
 */
export type { AddressClass } from './address.js'
export { classifyAddress, isPublicAddress } from './address.js'
export type { GuardedRequestOptions, GuardedResponse } from './guarded-request.js'
export { guardedRequest } from './guarded-request.js'
export type { OutboundGuard, OutboundGuardOptions } from './outbound-guard.js'
export { createOutboundGuard, OutboundRefusedError } from './outbound-guard.js'
