/**
 * The demo page: two photos, faces found and embedded in the page, the first face of each
 * compared (distance, cosine similarity, verdict at the model's threshold). Models come from
 * ?models=URL (default ../models/: model.onnx, pnet.onnx, rnet.onnx, onet.onnx).
 */
import { FaceNetWeb, toRgbImage, type EmbeddedFace } from '../index.js';

interface El {
  textContent: string | null;
  className: string;
  width: number;
  height: number;
  files?: ArrayLike<Blob>;
  addEventListener(ev: string, fn: () => void): void;
  getContext(kind: '2d'): {
    putImageData(d: unknown, x: number, y: number): void;
    strokeRect(x: number, y: number, w: number, h: number): void;
    fillRect(x: number, y: number, w: number, h: number): void;
    strokeStyle: string;
    fillStyle: string;
    lineWidth: number;
  } | null;
}
const g = globalThis as unknown as {
  document: { getElementById(id: string): El };
  location: { href: string; search: string };
  ImageData: new (d: Uint8ClampedArray, w: number, h: number) => unknown;
  crossOriginIsolated?: boolean;
  facenetDemo?: unknown;
};
const $ = (id: string): El => g.document.getElementById(id);
const params = new URLSearchParams(g.location.search);
const models = new URL(params.get('models') ?? '../models/', g.location.href).href;

function draw(canvas: El, img: { width: number; height: number; data: Uint8Array }, faces: EmbeddedFace[]): void {
  canvas.width = img.width;
  canvas.height = img.height;
  const ctx = canvas.getContext('2d')!;
  const rgba = new Uint8ClampedArray(img.width * img.height * 4);
  for (let i = 0; i < img.width * img.height; i++) {
    rgba.set(img.data.subarray(i * 3, i * 3 + 3), i * 4);
    rgba[i * 4 + 3] = 255;
  }
  ctx.putImageData(new g.ImageData(rgba, img.width, img.height), 0, 0);
  ctx.lineWidth = Math.max(2, img.width / 200);
  faces.forEach((f, k) => {
    const [x1, y1, x2, y2] = f.face.box;
    ctx.strokeStyle = k === 0 ? '#0f0' : '#ff0';
    ctx.strokeRect(x1, y1, x2 - x1, y2 - y1);
    ctx.fillStyle = '#f00';
    for (const [x, y] of f.face.landmarks) ctx.fillRect(x - 2, y - 2, 4, 4);
  });
}

async function main(): Promise<void> {
  const t0 = performance.now();
  const fn = await FaceNetWeb.load({ model: `${models}model.onnx`, mtcnn: models });
  $('runtime').textContent = `models loaded in ${Math.round(performance.now() - t0)} ms; onnxruntime-web wasm, ${g.crossOriginIsolated ? 'threads (cross-origin isolated)' : 'one thread'}`;
  $('verdict').textContent = 'pick two photos';
  const found: (EmbeddedFace | null)[] = [null, null];
  const update = (): void => {
    const [a, b] = found;
    if (!a || !b) return;
    const c = fn.compare(a.embedding, b.embedding);
    const v = $('verdict');
    const verdict = c.isMatch === null ? '(the model has no threshold)' : c.isMatch ? 'same person' : 'different people';
    v.textContent = `distance ${c.distance.toFixed(4)}, cosine similarity ${c.similarity.toFixed(4)}: ${verdict}`;
    v.className = c.isMatch === null ? '' : c.isMatch ? 'match' : 'nomatch';
  };
  for (const [i, side] of [[0, 'a'], [1, 'b']] as const) {
    $(`file-${side}`).addEventListener('change', () => {
      const file = $(`file-${side}`).files?.[0];
      if (!file) return;
      void (async () => {
        try {
          const t = performance.now();
          const img = await toRgbImage(file, `photo ${side}`);
          const faces = await fn.faces(img);
          draw($(`canvas-${side}`), img, faces);
          $(`info-${side}`).textContent = `${faces.length} face(s) in ${Math.round(performance.now() - t)} ms`;
          found[i] = faces[0] ?? null;
          if (!faces[0]) $('verdict').textContent = `no face in photo ${side}`;
          update();
        } catch (e) {
          $(`info-${side}`).textContent = `error: ${(e as Error).message}`;
        }
      })();
    });
  }
  g.facenetDemo = { fn, found };
}

main().catch((e: unknown) => {
  $('verdict').textContent = `error: ${(e as Error).message}`;
});
