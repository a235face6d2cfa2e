/**
 * A loopback static file server for the browser tests and the browser bench: URL prefixes mapped
 * to folders, the MIME types onnxruntime-web needs (application/wasm), and the cross-origin
 * isolation headers (COOP/COEP) that let wasm use threads. Binds 127.0.0.1 (on a free port unless
 * one is given). Used by the browser tests, the browser bench and scripts/web-demo.ts.
 */
import { createServer, type Server } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.map': 'application/json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.json': 'application/json',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

export async function serveStatic(mounts: Record<string, string>, opts: { isolated?: boolean; port?: number } = {}): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const prefix = Object.keys(mounts).find((p) => url.pathname.startsWith(p));
      const headers: Record<string, string> = opts.isolated === false ? {} : { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
      if (!prefix) {
        res.writeHead(404, headers).end('not found');
        return;
      }
      const root = path.resolve(mounts[prefix]!);
      const file = path.resolve(root, decodeURIComponent(url.pathname.slice(prefix.length)) || 'index.html');
      if (!file.startsWith(root + path.sep) && file !== root) {
        res.writeHead(403, headers).end('forbidden');
        return;
      }
      try {
        if (!(await stat(file)).isFile()) throw new Error('not a file');
        const body = await readFile(file);
        res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'Content-Length': String(body.length) }).end(body);
      } catch {
        res.writeHead(404, headers).end('not found');
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
