import { parentPort, workerData } from 'node:worker_threads';
import { classifyImage, detectObjects, loadModels, type Models } from './inference';
import type { Detection, NsfwScores } from './labels';

/**
 * The model worker thread (started by ModelVisionEngine through model-worker.cjs): loads the models
 * once, at its first request, and answers requests one at a time, in order (the WASM backend is
 * single-threaded; one image in flight keeps memory flat under a burst of uploads). A failed load
 * fails that request and the next one tries again.
 */

/** What the worker answers, per kind of request. */
export interface ModelAnswers {
  load: { loadMs: number };
  classify: NsfwScores;
  detect: Detection[];
}

export type ModelRequest =
  | { id: number; kind: 'load' }
  | { id: number; kind: 'classify' | 'detect'; image: Uint8Array };

/** An error crosses the thread as data: its message and, for a ServiceError, its code and status. */
export interface WorkerError {
  message: string;
  code?: string;
  statusCode?: number;
}

export type ModelReply =
  | { id: number; ok: true; value: ModelAnswers[keyof ModelAnswers] }
  | { id: number; ok: false; error: WorkerError };

export interface ModelWorkerData {
  engineDir: string;
}

const port = parentPort;
if (!port) throw new Error('local/vision/model-worker.ts runs as a worker thread (see ModelVisionEngine)');
const { engineDir } = workerData as ModelWorkerData;

let models: Promise<Models> | undefined;
function loaded(): Promise<Models> {
  if (!models) {
    models = loadModels(engineDir);
    models.catch(() => {
      models = undefined;
    });
  }
  return models;
}

async function answer(request: ModelRequest): Promise<ModelAnswers[keyof ModelAnswers]> {
  const ready = await loaded();
  switch (request.kind) {
    case 'load':
      return { loadMs: ready.loadMs };
    case 'classify':
      return classifyImage(ready, request.image);
    case 'detect':
      return detectObjects(ready, request.image);
  }
}

function errorOf(error: unknown): WorkerError {
  if (!(error instanceof Error)) return { message: String(error) };
  const { code, statusCode } = error as Error & { code?: unknown; statusCode?: unknown };
  return {
    message: error.message,
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof statusCode === 'number' ? { statusCode } : {}),
  };
}

let queue: Promise<void> = Promise.resolve();
port.on('message', (request: ModelRequest) => {
  queue = queue.then(async () => {
    let reply: ModelReply;
    try {
      reply = { id: request.id, ok: true, value: await answer(request) };
    } catch (error) {
      reply = { id: request.id, ok: false, error: errorOf(error) };
    }
    port.postMessage(reply);
  });
});
