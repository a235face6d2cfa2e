/**
 * `facenet serve --gallery DB [--model M]`: the HTTP API and web page (src/serve/), running until
 * SIGTERM or Ctrl-C, which stop it gracefully. `facenet serve keys create|list|revoke` manages
 * its API keys, kept hashed in the gallery's database.
 */
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import type { Command } from '../command.js';
import { FacenetError } from '../../errors.js';
import { checkRuntimeOptions } from '../../facenet.js';
import { SERVE_DEFAULTS, startServer } from '../../serve/server.js';
import { ApiKeyStore } from '../../serve/api-keys.js';

const serveOnly = defineCommand(
  {
    command: 'serve',
    summary: 'HTTP API (detect, embed, verify, identify, enroll) and a web page over a gallery',
    json: 'log JSON lines (pino) on stdout; the default is the same',
    flags: {
      gallery: { type: 'string', required: true, valueName: 'db', help: 'gallery database (SQLite file); created for --model when missing' },
      model: { type: 'string', help: "model name or file (default: the gallery's model)" },
      host: { type: 'string', default: SERVE_DEFAULTS.host, help: 'address to listen on; any but loopback needs API keys' },
      port: { type: 'number', integer: true, min: 0, max: 65535, default: SERVE_DEFAULTS.port, help: 'TCP port (0: any free port)' },
      bodyLimitMb: { type: 'number', min: 0.01, default: SERVE_DEFAULTS.bodyLimit / (1024 * 1024), help: 'request body limit in MB (JSON body and each uploaded file)' },
      maxPixels: { type: 'number', integer: true, min: 1, default: SERVE_DEFAULTS.maxPixels, help: 'largest image accepted, in pixels' },
      maxImages: { type: 'number', integer: true, min: 1, default: SERVE_DEFAULTS.maxImages, help: 'images per request' },
      batchWindowMs: { type: 'number', min: 0, default: SERVE_DEFAULTS.batchWindowMs, help: 'how long a request waits for others to share its forward pass' },
      maxBatch: { type: 'number', integer: true, min: 1, default: SERVE_DEFAULTS.maxBatch, help: 'images per forward pass' },
      maxQueue: { type: 'number', integer: true, min: 1, default: SERVE_DEFAULTS.maxQueue, help: 'waiting images beyond which requests get 503' },
      logLevel: { type: 'string', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', help: 'pino log level' },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags: f }, ctx) => {
    // The inference worker loads the model later: a device this build cannot use fails here, at once.
    const runtime = networkOptions(f);
    checkRuntimeOptions({ device: runtime.device, precision: runtime.precision });
    const server = await startServer({
      gallery: f.gallery,
      ...(f.model !== undefined ? { model: f.model } : {}),
      host: f.host,
      port: f.port,
      bodyLimit: Math.round(f.bodyLimitMb * 1024 * 1024),
      maxPixels: f.maxPixels,
      maxImages: f.maxImages,
      batchWindowMs: f.batchWindowMs,
      maxBatch: f.maxBatch,
      maxQueue: f.maxQueue,
      logLevel: f.logLevel,
      ...runtime,
    });
    if (server.open) ctx.warn(`no API keys: the API at ${server.url} is open to anyone on this machine (create one with \`facenet serve keys create --gallery ${f.gallery} --name NAME\`)`);
    ctx.io.stderr.write(`facenet serve: listening on ${server.url} (page at ${server.url}/, OpenAPI at ${server.url}/v1/openapi.json)\n`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      if (ctx.io.signal.aborted) resolve();
      ctx.io.signal.addEventListener('abort', stop, { once: true });
    });
    ctx.io.stderr.write('facenet serve: stopping (finishing requests in flight)\n');
    await server.close();
    return 0;
  },
);

const keysCommand = defineCommand(
  {
    command: 'serve keys',
    summary: 'Create, list or revoke API keys of `facenet serve` (stored hashed in the gallery database)',
    json: 'print the result as JSON',
    positionals: [
      { name: 'action', help: 'create, list or revoke' },
      { name: 'key', help: 'revoke: the key id (or its unique name)', required: false },
    ],
    flags: {
      gallery: { type: 'string', required: true, valueName: 'db', help: 'gallery database: SQLite file, postgres:// URL or gallery link file' },
      name: { type: 'string', help: 'create: a label for the key (who uses it)' },
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    const store = await ApiKeyStore.open(f.gallery);
    try {
      switch (p.action) {
        case 'create': {
          if (!f.name) throw new FacenetError('BAD_ARGUMENT', 'keys create needs --name LABEL; see facenet serve keys --help');
          const k = await store.create(f.name);
          ctx.print(k, () => `created key ${k.id} (${k.name}); it is shown only now:\n${k.key}\n`);
          return 0;
        }
        case 'list': {
          const keys = await store.list();
          ctx.print(keys, () => (keys.length === 0 ? 'no API keys\n' : keys.map((k) => `${k.id}  ${k.name}  created ${k.createdAt}${k.revokedAt ? `  REVOKED ${k.revokedAt}` : ''}`).join('\n') + '\n'));
          return 0;
        }
        case 'revoke': {
          if (!p.key) throw new FacenetError('BAD_ARGUMENT', 'keys revoke needs the key id; see facenet serve keys list');
          const k = await store.revoke(p.key);
          ctx.print(k, () => `revoked key ${k.id} (${k.name})\n`);
          return 0;
        }
        default:
          throw new FacenetError('BAD_ARGUMENT', `unknown keys action '${p.action}': use create, list or revoke`);
      }
    } finally {
      await store.close();
    }
  },
);

export const serveCommand: Command = {
  spec: serveOnly.spec,
  run: (argv, io) => (argv[0] === 'keys' ? keysCommand.run(argv.slice(1), io) : serveOnly.run(argv, io)),
};
