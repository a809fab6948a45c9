import type { ModelDescription, Shape } from '../../keras/model.js';
import { KerasBatchError } from '../../util/errors.js';
import { wholeBuffer } from '../../util/float-buffers.js';
import type { Limits } from '../../util/limits.js';
import type { InputTensor, Tensor, TensorSpec } from '../types.js';

/** Where a model thread reads its model: a file (an upload's temp file, a stored artifact) or bytes. */
export type ModelSource = { path: string } | { bytes: Uint8Array };

/** What a model thread is started with (its `workerData`). */
export interface ThreadSetup {
  model: ModelSource;
  architecture?: ModelSource;
  /** The file name, for messages. */
  name: string;
  threads?: number;
  /** The server's limits: the thread checks the model against the same budgets. */
  limits: Limits;
}

/** The compiled model as the thread reports it: the description without its weights' data (the thread holds them). */
export interface ThreadOpened {
  kind: 'opened';
  description: ModelDescription;
  sha256: string;
  size: number;
  backend: string;
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  layerShapes: Map<string, Shape[]>;
}

export type ToThread =
  | { kind: 'predict'; id: number; inputs: InputTensor[]; handOver?: boolean }
  | { kind: 'dispose' };

export type FromThread =
  | ThreadOpened
  | { kind: 'failed'; error: SentError }
  | { kind: 'result'; id: number; outputs: Tensor[]; spare?: ArrayBuffer[] }
  | { kind: 'predict-failed'; id: number; error: SentError }
  | { kind: 'disposed' };

/** An error as it crosses threads: enough to rebuild a {@link KerasBatchError} with its code. */
export interface SentError {
  message: string;
  part?: string;
  code?: string;
  retryable?: boolean;
}

export function sendError(error: unknown): SentError {
  if (error instanceof KerasBatchError)
    return { message: error.message, part: error.part, code: error.code, retryable: error.retryable };
  return { message: error instanceof Error ? error.message : String(error) };
}

export function receiveError(sent: SentError): Error {
  if (sent.part === undefined || sent.code === undefined) return new Error(sent.message);
  const prefix = `[${sent.part}] `;
  const message = sent.message.startsWith(prefix) ? sent.message.slice(prefix.length) : sent.message;
  return new KerasBatchError(sent.part, sent.code, message, { retryable: sent.retryable });
}

/** The buffers of numeric inputs that their arrays fill whole (a view into a larger buffer is copied). */
export function handedBuffers(inputs: InputTensor[]): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const input of inputs) {
    const buffer = 'strings' in input ? null : wholeBuffer(input.data);
    if (buffer) buffers.add(buffer);
  }
  return [...buffers];
}
