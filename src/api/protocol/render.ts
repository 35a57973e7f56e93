/**
 * The two bodies the SDKs understand: the action's model (plus RequestId, never Code) and the
 * error envelope `{RequestId, HostId, Code, Message, Recommend}` with the cloud's HTTP status.
 */
import crypto from 'node:crypto';
import type { EcsError } from '../../domain/errors/index.js';

export const JSON_CONTENT_TYPE = 'application/json;charset=utf-8';

/** Upper-case UUID, as the cloud's RequestIds are. */
export function newRequestId(): string {
  return crypto.randomUUID().toUpperCase();
}

export function errorBody(err: EcsError, requestId: string, hostId: string) {
  return {
    RequestId: requestId,
    HostId: hostId,
    Code: err.code,
    Message: err.message,
    Recommend: `/console/#/troubleshooting?code=${encodeURIComponent(err.code)}&requestId=${requestId}`,
  };
}
