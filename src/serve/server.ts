/**
 * startServer: opens (or creates) the gallery, starts the model worker, and listens. Also the
 * graceful stop: refuse new requests (503), finish those in flight, drain the batch queue, stop
 * the worker, close the stores.
 */
import { readFileSync } from 'node:fs';
import pino, { type Logger } from 'pino';
import type { FastifyInstance } from 'fastify';
import { createGallery, openGallery, type Gallery } from '../gallery/index.js';
import { FacenetError } from '../errors.js';
import type { RuntimeOptions } from '../facenet.js';
import { BatchQueue } from './batch-queue.js';
import { InferenceEngine } from './inference-engine.js';
import type { InferenceJob, InferenceResult } from './inference-protocol.js';
import { ApiKeyStore } from './api-keys.js';
import { buildApp } from './app.js';
import { serverMetrics } from './metrics.js';
import type { ServeContext } from './route.js';

/**
 * RuntimeOptions (threads, device, precision) are the inference worker's: threads default to every
 * core, precision to fp32 as for every inference entry point.
 */
export interface ServeOptions extends RuntimeOptions {
  /** Gallery location: a SQLite file path (or postgres:// URL when the gallery supports it). */
  gallery: string;
  /** Model name or file; needed when the gallery does not exist yet, else read from it. */
  model?: string;
  host?: string;
  port?: number;
  /** Request body limit in bytes (default 10 MB). */
  bodyLimit?: number;
  /** Largest image accepted, in pixels (default 4096 x 4096). */
  maxPixels?: number;
  /** Images per request (default 16). */
  maxImages?: number;
  /** Batching: wait window in ms (default 2), batch size (default 16), waiting jobs (default 64). */
  batchWindowMs?: number;
  maxBatch?: number;
  maxQueue?: number;
  home?: string;
  mirror?: string;
  logger?: Logger;
  logLevel?: string;
}

export const SERVE_DEFAULTS = {
  host: '127.0.0.1',
  port: 8080,
  bodyLimit: 10 * 1024 * 1024,
  maxPixels: 4096 * 4096,
  maxImages: 16,
  batchWindowMs: 2,
  maxBatch: 16,
  maxQueue: 64,
} as const;

export interface RunningServer {
  url: string;
  app: FastifyInstance;
  /** True when requests need no key (loopback, no keys configured). */
  open: boolean;
  /** Graceful stop; safe to call twice. */
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

async function tryOpenGallery(location: string): Promise<Gallery | null> {
  try {
    return await openGallery(location);
  } catch (e) {
    if (e instanceof FacenetError && e.code === 'NOT_FOUND') return null;
    throw e;
  }
}

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  const host = o.host ?? SERVE_DEFAULTS.host;
  const logger = o.logger ?? pino({ level: o.logLevel ?? 'info' });
  const cleanup: (() => Promise<void> | void)[] = [];
  const undo = async () => {
    for (const f of cleanup.reverse()) await f();
  };
  try {
    let gallery = await tryOpenGallery(o.gallery);
    if (gallery) {
      const g = gallery;
      cleanup.push(() => g.close());
    }
    const model = o.model ?? gallery?.info.model;
    if (!model) throw new FacenetError('BAD_ARGUMENT', `no gallery at ${o.gallery} yet: pass --model to create it for a model`);
    // unset device / precision stay undefined: FaceNet.load then uses its defaults (cpu, fp32)
    const runtime: RuntimeOptions = { threads: o.threads ?? 0, device: o.device, precision: o.precision };
    const engine = await InferenceEngine.start({ model, home: o.home, mirror: o.mirror, embedBatch: 64, runtime });
    for (const warning of engine.info.warnings) logger.warn(warning);
    cleanup.push(() => engine.dispose());
    if (!gallery) {
      gallery = await createGallery(o.gallery, { modelId: engine.info.modelId, dim: engine.info.dim, model, threshold: engine.info.threshold });
      const g = gallery;
      cleanup.push(() => g.close());
      logger.info({ gallery: o.gallery, model: engine.info.modelId }, 'created a new gallery');
    } else if (gallery.info.modelId !== engine.info.modelId) {
      throw new FacenetError('MODEL_MISMATCH', `gallery ${o.gallery} holds embeddings of model '${gallery.info.modelId}', not '${engine.info.modelId}': serve it with --model ${gallery.info.model} (or omit --model), or use another gallery`);
    }
    const keys = await ApiKeyStore.open(o.gallery);
    cleanup.push(() => keys.close());
    const loopback = isLoopback(host);
    const activeKeys = await keys.activeCount();
    if (!loopback && activeKeys === 0) {
      throw new FacenetError('BAD_ARGUMENT', `refusing to serve on ${host} without API keys: create one with \`facenet serve keys create --gallery ${o.gallery} --name NAME\`, or listen on 127.0.0.1`);
    }

    const metrics = serverMetrics({ queueDepth: () => queue.depth });
    const queue = new BatchQueue<InferenceJob, InferenceResult>((jobs) => engine.run(jobs), { windowMs: o.batchWindowMs ?? SERVE_DEFAULTS.batchWindowMs, maxBatch: o.maxBatch ?? SERVE_DEFAULTS.maxBatch, maxQueue: o.maxQueue ?? SERVE_DEFAULTS.maxQueue }, (n) => metrics.batchSize.observe(n));
    const ctx: ServeContext = {
      queue,
      gallery,
      model: engine.info,
      limits: { maxPixels: o.maxPixels ?? SERVE_DEFAULTS.maxPixels, maxImages: o.maxImages ?? SERVE_DEFAULTS.maxImages },
      metrics,
      // While stopping, fastify answers new requests 503 itself; those already accepted run to the end.
      unavailable: () => (engine.failure ? `the model worker stopped: ${engine.failure.message}` : null),
    };
    const app = await buildApp({ ctx, logger, keys, alwaysRequireKeys: !loopback, bodyLimit: o.bodyLimit ?? SERVE_DEFAULTS.bodyLimit, version: packageVersion() });
    cleanup.push(() => app.close());
    // A graceful stop must not wait for keep-alive: fastify closes the connections idle when close()
    // starts, but one busy then stays open after its answer until the keep-alive timeout (72 s:
    // measured, a stop with two requests in flight took 71 s). So answers sent while stopping say
    // `connection: close`, and connections that turn idle meanwhile are closed as they do.
    let stopping = false;
    app.addHook('onSend', async (_request, reply, payload) => {
      if (stopping) reply.header('connection', 'close');
      return payload;
    });
    const address = await app.listen({ host, port: o.port ?? SERVE_DEFAULTS.port });
    const open = loopback && activeKeys === 0;
    if (open) logger.warn({ host }, 'no API keys configured: the API is OPEN to anyone who can reach this loopback address (create one with `facenet serve keys create`)');
    logger.info({ url: address, model: engine.info.modelId, precision: engine.info.precision, gallery: o.gallery, batch: queue.options }, 'facenet serve listening');

    let closing: Promise<void> | null = null;
    const close = () =>
      (closing ??= (async () => {
        stopping = true;
        const closeIdle = setInterval(() => app.server.closeIdleConnections(), 50);
        try {
          await app.close(); // stops accepting, waits for requests in flight
        } finally {
          clearInterval(closeIdle);
        }
        await queue.close();
        cleanup.pop(); // app.close done
        await undo();
        logger.info('facenet serve stopped');
      })());
    return { url: address, app, open, close };
  } catch (e) {
    await undo().catch(() => undefined);
    throw e;
  }
}
