/**
 * `facenet gallery create|enroll|add|identify|list|remove|export|index`: a face gallery in one SQLite
 * file or in PostgreSQL (issue 13). The shapes of these commands and of their --json output are
 * fixed so that scripts can rely on them. All work is the gallery library's (src/gallery).
 */
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { defineCommand, reportError } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import type { Command } from '../command.js';
import { ProgressBar } from '../progress.js';
import { FaceNet } from '../../facenet.js';
import { loadFaceModel } from '../../models/registry.js';
import { readNpy, writeNpy } from '../../io/npy.js';
import { writeJsonAtomic } from '../../io/fs-util.js';
import { listImages } from '../../embed/list-images.js';
import { FacenetError } from '../../errors.js';
import {
  createGallery,
  openGallery,
  isPostgresUrl,
  parseRoc,
  validateSubjectName,
  writeGalleryLink,
  type EnrollItem,
  type Gallery,
  type IdentifyOptions,
  type OpenGalleryOptions,
  ANN_DEFAULTS,
} from '../../gallery/index.js';

const DB = { name: 'db', help: 'gallery: an SQLite file, a postgres:// URL, or the link file `create --store postgres://…` wrote' } as const;

/** A model argument as the gallery records it: files by absolute path, so any directory can reload it. */
function modelRef(m: string): string {
  return existsSync(m) ? path.resolve(m) : m;
}

async function withGallery<T>(db: string, f: (g: Gallery) => Promise<T>, options: OpenGalleryOptions = {}): Promise<T> {
  const g = await openGallery(db, options);
  try {
    return await f(g);
  } finally {
    await g.close();
  }
}

async function withFaces<T>(g: Gallery, flags: Parameters<typeof networkOptions>[0], f: (fn: FaceNet) => Promise<T>): Promise<T> {
  const fn = await FaceNet.load({ model: g.info.model, ...networkOptions(flags) });
  try {
    g.attachSource(fn);
    return await f(fn);
  } finally {
    fn.dispose();
  }
}

function bar(label: string, total: number, unit: string): ProgressBar {
  return new ProgressBar({ label, total, unit });
}

// ---- create ------------------------------------------------------------------------------------
const createCommand = defineCommand(
  {
    command: 'gallery create',
    summary: 'create an empty gallery for one model (records its id, embedding size and threshold)',
    json: 'print { db, store, modelId, dim, threshold, roc } as JSON',
    positionals: [DB],
    flags: {
      model: { type: 'string', required: true, help: 'model name or file; every later command reads the model from the gallery' },
      store: { type: 'string', default: 'sqlite', help: "'sqlite' (DB is the file) or a postgres:// URL (DB becomes a link file naming it, unless DB is the URL)" },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    const db = p.db;
    let location = db;
    if (f.store !== 'sqlite') {
      if (!isPostgresUrl(f.store)) throw new FacenetError('BAD_ARGUMENT', `--store must be 'sqlite' or a postgres:// URL, got '${f.store}'`);
      if (isPostgresUrl(db) && db !== f.store) throw new FacenetError('BAD_ARGUMENT', `DB (${db}) and --store (${f.store}) name two different databases`);
      location = f.store;
    }
    const model = modelRef(f.model);
    const m = await loadFaceModel(model, networkOptions(f));
    let info;
    try {
      const threshold = typeof m.facts.threshold === 'number' ? m.facts.threshold : null;
      info = { modelId: m.id, dim: m.model.config.embeddingSize, model, threshold, roc: parseRoc(m.facts['roc']) };
    } finally {
      m.model.dispose();
    }
    const g = await createGallery(location, info);
    await g.close();
    if (location !== db) await writeGalleryLink(db, location);
    if (info.threshold === null) ctx.warn(`${m.id} has no stored threshold: identify never answers "unknown" unless given --threshold (run \`facenet validate --save-threshold\` on the model first)`);
    ctx.print({ db, store: isPostgresUrl(location) ? 'postgres' : 'sqlite', modelId: info.modelId, dim: info.dim, threshold: info.threshold, roc: info.roc !== null }, () => `created gallery ${db} for ${info.modelId} (${info.dim}-D, threshold ${info.threshold ?? 'none'}${info.roc ? ', with ROC' : ''})\n`);
    return 0;
  },
);

// ---- enroll ------------------------------------------------------------------------------------
const enrollCommand = defineCommand(
  {
    command: 'gallery enroll',
    summary: 'enroll a subject from images (one face each), or every class folder of DIR as a subject',
    json: 'print { enrolled: [{ subject, faceIds }], failures: [{ subject, input, code, reason }] } as JSON',
    positionals: [DB, { name: 'subjectAndImages', help: 'SUBJECT IMAGES... (images or folders of images); nothing with --from-folders', variadic: true, required: false }],
    flags: {
      fromFolders: { type: 'string', help: 'a class-per-folder dataset: each folder is a subject named after it' },
      largestFace: { type: 'boolean', help: 'enroll the largest face of an image with several (default: such images are refused)' },
      metadata: { type: 'string', help: 'JSON object stored with each face enrolled' },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    const rest = p.subjectAndImages ?? [];
    const jobs: { subject: string; images: string[] }[] = [];
    const failures: { subject: string; input: string; code: string; reason: string }[] = [];
    if (f.fromFolders !== undefined) {
      if (rest.length > 0) throw new FacenetError('BAD_ARGUMENT', 'give either SUBJECT IMAGES... or --from-folders DIR, not both');
      const entries = (await readdir(f.fromFolders, { withFileTypes: true })).filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name).sort();
      if (entries.length === 0) throw new FacenetError('BAD_ARGUMENT', `--from-folders ${f.fromFolders}: no class folders in it`);
      for (const name of entries) {
        const folder = path.join(f.fromFolders, name);
        try {
          validateSubjectName(name);
        } catch (e) {
          failures.push({ subject: name, input: folder, code: 'BAD_SUBJECT', reason: (e as Error).message });
          continue;
        }
        try {
          jobs.push({ subject: name, images: await listImages([folder]) });
        } catch (e) {
          failures.push({ subject: name, input: folder, code: 'NO_IMAGES', reason: (e as Error).message });
        }
      }
    } else {
      if (rest.length < 2) throw new FacenetError('BAD_ARGUMENT', 'enroll needs SUBJECT and at least one image (or --from-folders DIR)');
      jobs.push({ subject: validateSubjectName(rest[0]!), images: await listImages(rest.slice(1)) });
    }
    let metadata: Record<string, unknown> | undefined;
    if (f.metadata !== undefined) {
      try {
        metadata = JSON.parse(f.metadata) as Record<string, unknown>;
      } catch (e) {
        throw new FacenetError('BAD_ARGUMENT', `--metadata is not JSON: ${(e as Error).message}`);
      }
      if (!metadata || typeof metadata !== 'object' || Array.isArray(metadata)) throw new FacenetError('BAD_ARGUMENT', '--metadata must be a JSON object');
    }
    const enrolled: { subject: string; faceIds: string[] }[] = [];
    await withGallery(p.db, (g) =>
      withFaces(g, f, async () => {
        const total = jobs.reduce((a, j) => a + j.images.length, 0);
        const progress = bar('enroll', total, 'img');
        let done = 0;
        try {
          for (const job of jobs) {
            if (ctx.io.signal.aborted) break;
            const r = await g.enroll(job.subject, job.images, { largestFace: f.largestFace, signal: ctx.io.signal, ...(metadata ? { metadata } : {}), onProgress: (d) => progress.update(done + d, { subjects: enrolled.length }) });
            done += job.images.length;
            if (r.faceIds.length > 0) enrolled.push({ subject: r.subject, faceIds: r.faceIds });
            for (const x of r.failures) failures.push({ subject: job.subject, input: x.input, code: x.code, reason: x.reason });
          }
        } finally {
          progress.finish({ subjects: enrolled.length });
        }
      }),
    );
    for (const x of failures.slice(0, 50)) ctx.warn(`${x.subject}: ${x.input}: ${x.reason}`);
    if (failures.length > 50) ctx.warn(`… ${failures.length - 50} more failures`);
    const faces = enrolled.reduce((a, e) => a + e.faceIds.length, 0);
    ctx.print({ enrolled, failures }, () => `enrolled ${faces} faces of ${enrolled.length} subjects (${failures.length} images not enrolled)\n`);
    if (ctx.io.signal.aborted) return 130;
    return faces === 0 ? 1 : 0;
  },
);

// ---- add ---------------------------------------------------------------------------------------
interface Sidecar {
  model?: string;
  dim?: number;
  images?: string[];
  subjects?: string[];
}

async function readSidecar(npy: string): Promise<Sidecar | null> {
  const file = npy.replace(/\.npy$/, '') + '.json';
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Sidecar;
  } catch (e) {
    throw new FacenetError('BAD_FILE', `${file}: not a JSON sidecar (${(e as Error).message})`);
  }
}

function sameModel(a: string, b: string): boolean {
  return modelRef(a) === modelRef(b);
}

/** Rows of an .npy as [rows, dim] float32, with the gallery's model checked against the sidecar's. */
async function readEmbeddings(file: string, g: Gallery): Promise<{ rows: number; data: Float32Array; sidecar: Sidecar | null }> {
  const raw = await readNpy(file);
  if (raw.dtype !== 'float32' || raw.shape.length !== 2) throw new FacenetError('BAD_FILE', `${file}: expected a float32 [rows, dim] array, got ${raw.dtype} [${raw.shape.join(', ')}]`);
  const [rows, dim] = raw.shape as [number, number];
  if (dim !== g.info.dim) throw new FacenetError('SHAPE_MISMATCH', `${file}: rows have ${dim} values, the gallery's model (${g.info.modelId}) gives ${g.info.dim}`);
  const sidecar = await readSidecar(file);
  if (sidecar?.model !== undefined && !sameModel(sidecar.model, g.info.modelId)) {
    throw new FacenetError('MODEL_MISMATCH', `${file} was embedded by model '${sidecar.model}', the gallery holds '${g.info.modelId}': embed with the gallery's model`);
  }
  return { rows, data: raw.data as Float32Array, sidecar };
}

const addCommand = defineCommand(
  {
    command: 'gallery add',
    summary: 'bulk import of precomputed embeddings (facenet embed output)',
    json: 'print { subjects, faces } as JSON',
    positionals: [DB],
    flags: {
      embeddings: { type: 'string', required: true, help: 'float32 [rows, dim] .npy' },
      names: { type: 'string', help: "one subject per line, one line per row (default: the sidecar's subjects, or each image's parent folder)" },
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    const out = await withGallery(p.db, async (g) => {
      const { rows, data, sidecar } = await readEmbeddings(f.embeddings, g);
      let names: string[];
      if (f.names !== undefined) {
        names = (await readFile(f.names, 'utf8')).split(/\r?\n/);
        if (names.length > 0 && names[names.length - 1] === '') names.pop(); // the final newline
        if (names.length !== rows) throw new FacenetError('BAD_ARGUMENT', `--names ${f.names} has ${names.length} lines, ${f.embeddings} has ${rows} rows`);
      } else if (sidecar?.subjects) {
        names = sidecar.subjects;
      } else if (sidecar?.images) {
        names = sidecar.images.map((im) => path.basename(path.dirname(im)));
      } else {
        throw new FacenetError('BAD_ARGUMENT', `${f.embeddings} has no sidecar (${f.embeddings.replace(/\.npy$/, '')}.json) naming its rows: pass --names FILE`);
      }
      if (names.length !== rows) throw new FacenetError('BAD_FILE', `the sidecar of ${f.embeddings} names ${names.length} rows, the array has ${rows}`);
      names.forEach((n, i) => {
        try {
          validateSubjectName(n);
        } catch (e) {
          throw new FacenetError('BAD_ARGUMENT', `row ${i}: ${(e as Error).message}`);
        }
      });
      const dim = g.info.dim;
      const items: EnrollItem[] = names.map((subject, i) => ({ subject, embeddings: [data.subarray(i * dim, (i + 1) * dim)], metadata: sidecar?.images?.[i] ? { image: sidecar.images[i] } : null }));
      const progress = bar('add', rows, 'emb');
      try {
        return await g.enrollMany(items, { signal: ctx.io.signal, onProgress: (d) => progress.update(d) });
      } finally {
        progress.finish();
      }
    });
    ctx.print(out, () => `added ${out.faces} faces of ${out.subjects} subjects\n`);
    return ctx.io.signal.aborted ? 130 : 0;
  },
);

// ---- identify ----------------------------------------------------------------------------------
const identifyCommand = defineCommand(
  {
    command: 'gallery identify',
    summary: 'who is in these images (or these embeddings)? ranked subjects, or unknown',
    json: 'print a JSON array, one entry per query face: { query, unknown, matches: [{ subject, faceId, distance, similarity }] }',
    positionals: [DB, { name: 'images', help: 'photos (every face in each is identified)', variadic: true, required: false }],
    flags: {
      embeddings: { type: 'string', help: 'query rows from a float32 [rows, dim] .npy instead of images' },
      k: { type: 'number', integer: true, min: 1, default: 5, help: 'subjects per query' },
      threshold: { type: 'number', min: 0, help: "squared-L2 distance at or past which the best match is 'unknown' (default: the model's calibrated one)" },
      far: { type: 'number', min: 0, max: 1, help: 'pick the threshold for this false-accept rate from the stored ROC instead' },
      aggregate: { type: 'string', choices: ['best', 'centroid'], default: 'best', help: "a subject's score: its best face, or the centroid of its faces" },
      exact: { type: 'boolean', help: 'scan every face even when the gallery has an ANN index (`facenet gallery index`)' },
      ...NETWORK_OPTIONS,
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    const images = p.images ?? [];
    if ((images.length > 0) === (f.embeddings !== undefined)) throw new FacenetError('BAD_ARGUMENT', 'give either IMAGES... or --embeddings Q.npy');
    if (f.threshold !== undefined && f.far !== undefined) throw new FacenetError('BAD_ARGUMENT', 'give either --threshold or --far, not both');
    const opts: IdentifyOptions = { k: f.k, aggregate: f.aggregate as 'best' | 'centroid', exact: f.exact, ...(f.threshold !== undefined ? { threshold: f.threshold } : {}), ...(f.far !== undefined ? { far: f.far } : {}) };
    type Entry = { query: string | number; unknown: boolean; matches: { subject: string; faceId: string; distance: number; similarity: number }[]; box?: number[] };
    const entries: Entry[] = [];
    let failed = 0;
    await withGallery(p.db, async (g) => {
      g.resolveThreshold(opts); // refuse a bad --far before any work
      if (g.annStatus && !f.exact) ctx.warn(`searching the ANN index (${g.annStatus.faces} faces; --exact scans them all)`);
      if (f.embeddings !== undefined) {
        const { rows, data } = await readEmbeddings(f.embeddings, g);
        const dim = g.info.dim;
        const BATCH = 64;
        const progress = bar('identify', rows, 'q');
        try {
          for (let i = 0; i < rows; i += BATCH) {
            const qs = Array.from({ length: Math.min(BATCH, rows - i) }, (_, j) => data.subarray((i + j) * dim, (i + j + 1) * dim));
            const res = await g.identifyEmbeddings(qs, opts);
            res.forEach((r, j) => entries.push({ query: i + j, unknown: r.unknown, matches: r.matches }));
            progress.update(i + qs.length);
          }
        } finally {
          progress.finish();
        }
        return;
      }
      await withFaces(g, f, async () => {
        const files = await listImages(images);
        const progress = bar('identify', files.length, 'img');
        try {
          for (const [i, file] of files.entries()) {
            if (ctx.io.signal.aborted) break;
            try {
              const found = await g.identify(file, opts);
              if (found.length === 0) ctx.warn(`${file}: no face found`);
              for (const r of found) entries.push({ query: file, unknown: r.unknown, matches: r.matches, box: r.face!.box.map((x) => Math.round(x * 10) / 10) });
            } catch (e) {
              if (!(e instanceof FacenetError) || (e.code !== 'BAD_IMAGE' && e.code !== 'NOT_FOUND' && e.code !== 'BAD_FILE')) throw e;
              failed++;
              ctx.warn(`${file}: ${e.message}`);
            }
            progress.update(i + 1);
          }
        } finally {
          progress.finish();
        }
      });
    }, f.exact ? { ann: false } : {});
    ctx.print(entries, () =>
      entries
        .map((e) => {
          const best = e.matches[0];
          const head = `${e.query}${e.box ? ` [${e.box.join(', ')}]` : ''}: `;
          if (!best) return `${head}unknown (empty gallery)\n`;
          const rest = e.matches.slice(1).map((m) => `${m.subject} ${m.distance.toFixed(3)}`).join(', ');
          return `${head}${e.unknown ? `unknown (closest ${best.subject} at ${best.distance.toFixed(3)})` : `${best.subject} (distance ${best.distance.toFixed(3)}, similarity ${best.similarity.toFixed(3)})`}${rest ? `; then ${rest}` : ''}\n`;
        })
        .join(''),
    );
    if (ctx.io.signal.aborted) return 130;
    return failed > 0 && entries.length === 0 ? 1 : 0;
  },
);

// ---- list / remove / export --------------------------------------------------------------------
const listCommand = defineCommand(
  {
    command: 'gallery list',
    summary: 'the subjects of a gallery with their face counts',
    json: 'print { modelId, model, dim, threshold, faces, subjects: [{ name, faces }] } as JSON',
    positionals: [DB],
    flags: {},
  },
  async ({ positionals: p }, ctx) => {
    const out = await withGallery(p.db, async (g) => {
      const subjects = await g.subjects();
      return { modelId: g.info.modelId, model: g.info.model, dim: g.info.dim, threshold: g.info.threshold, faces: subjects.reduce((a, s) => a + s.faces, 0), subjects };
    });
    ctx.print(out, () => `${out.subjects.length} subjects, ${out.faces} faces (model ${out.modelId}, ${out.dim}-D, threshold ${out.threshold ?? 'none'})\n` + out.subjects.map((s) => `${s.name}\t${s.faces}\n`).join(''));
    return 0;
  },
);

const removeCommand = defineCommand(
  {
    command: 'gallery remove',
    summary: 'remove a subject and all its faces',
    json: 'print { subject, removed } as JSON (removed: faces removed)',
    positionals: [DB, { name: 'subject', help: 'subject name' }],
    flags: {},
  },
  async ({ positionals: p }, ctx) => {
    const removed = await withGallery(p.db, (g) => g.removeSubject(p.subject));
    if (removed === 0) {
      ctx.print({ subject: p.subject, removed }, () => '');
      throw new FacenetError('NOT_FOUND', `no subject '${p.subject}' in ${p.db} (see \`facenet gallery list ${p.db}\`)`);
    }
    ctx.print({ subject: p.subject, removed }, () => `removed ${p.subject} (${removed} faces)\n`);
    return 0;
  },
);

const exportCommand = defineCommand(
  {
    command: 'gallery export',
    summary: 'write every face embedding to an .npy (+ a .json sidecar with subjects and face ids, for `add`)',
    json: 'print { out, json, rows, dim } as JSON',
    positionals: [DB],
    flags: { out: { type: 'string', required: true, help: 'output .npy file' } },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    if (!f.out.endsWith('.npy')) throw new FacenetError('BAD_ARGUMENT', `--out must end in .npy, got ${f.out}`);
    const out = await withGallery(p.db, async (g) => {
      const dim = g.info.dim;
      const data = new Float32Array(g.size * dim);
      const subjects: string[] = [];
      const faceIds: string[] = [];
      await g.exportRows((rows) => {
        for (const r of rows) {
          data.set(r.embedding, subjects.length * dim);
          subjects.push(r.subject);
          faceIds.push(r.faceId);
        }
      });
      await writeNpy(f.out, { dtype: 'float32', shape: [subjects.length, dim], data: data.subarray(0, subjects.length * dim) });
      const json = f.out.replace(/\.npy$/, '.json');
      await writeJsonAtomic(json, { model: g.info.modelId, dim, rows: subjects.length, subjects, faceIds });
      return { out: f.out, json, rows: subjects.length, dim };
    });
    ctx.print(out, () => `wrote ${out.rows} x ${out.dim} embeddings to ${out.out} (subjects and face ids in ${out.json})\n`);
    return 0;
  },
);

// ---- index -------------------------------------------------------------------------------------
const indexCommand = defineCommand(
  {
    command: 'gallery index',
    summary: 'build (or --drop) an ANN index (usearch HNSW) that identify then searches; saved beside an SQLite gallery',
    json: 'print { db, faces, settings, file, seconds } (or { db, dropped }) as JSON',
    positionals: [DB],
    flags: {
      quantization: { type: 'string', choices: ['bf16', 'f32'], default: ANN_DEFAULTS.quantization, help: 'how the graph stores vectors (candidates are re-scored exactly either way)' },
      connectivity: { type: 'number', integer: true, min: 2, max: 4096, default: ANN_DEFAULTS.connectivity, help: 'edges per node (HNSW M): higher finds more, costs memory and build time' },
      expansionAdd: { type: 'number', integer: true, min: 2, max: 4096, default: ANN_DEFAULTS.expansionAdd, help: 'candidates while building (efConstruction)' },
      expansionSearch: { type: 'number', integer: true, min: 2, max: 4096, default: ANN_DEFAULTS.expansionSearch, help: 'candidates while searching (ef): higher recall, slower queries' },
      drop: { type: 'boolean', help: 'remove the index (identify scans exactly again)' },
    },
  },
  async ({ flags: f, positionals: p }, ctx) => {
    if (f.drop) {
      const dropped = await withGallery(p.db, (g) => g.dropAnnIndex(), { ann: false });
      ctx.print({ db: p.db, dropped }, () => (dropped ? `dropped the ANN index of ${p.db}
` : `${p.db} had no ANN index
`));
      return 0;
    }
    const started = performance.now();
    const out = await withGallery(
      p.db,
      async (g) => {
        if (isPostgresUrl(g.location)) throw new FacenetError('BAD_ARGUMENT', `${p.db} is a PostgreSQL gallery, which keeps no index file: a process that wants one opens it with { ann: true } and builds it in memory`);
        const progress = bar('index', g.size, 'face');
        try {
          return await g.buildAnnIndex(
            { quantization: f.quantization as 'bf16' | 'f32', connectivity: f.connectivity, expansionAdd: f.expansionAdd, expansionSearch: f.expansionSearch },
            { onProgress: (done) => progress.update(done), signal: ctx.io.signal },
          );
        } finally {
          progress.finish();
        }
      },
      { ann: false },
    );
    if (!out) {
      ctx.warn('interrupted: no index was saved (the gallery is unchanged)');
      return 130;
    }
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    const report = { db: p.db, faces: out.faces, settings: out.settings, file: out.file, seconds };
    ctx.print(report, () => `indexed ${out.faces} faces in ${seconds} s (saved to ${out.file}; identify uses it, --exact scans instead)\n`);
    return 0;
  },
);

const SUBCOMMANDS: Record<string, Command> = {
  create: createCommand,
  enroll: enrollCommand,
  add: addCommand,
  identify: identifyCommand,
  list: listCommand,
  remove: removeCommand,
  export: exportCommand,
  index: indexCommand,
};

function overview(): string {
  const lines = ['Usage: facenet gallery <command> DB ...', '', 'Commands:'];
  for (const [name, c] of Object.entries(SUBCOMMANDS)) lines.push(`  ${name.padEnd(10)}${c.spec.summary ?? ''}`);
  lines.push('', 'Run `facenet gallery <command> --help` for its options. Every command takes --json.', '');
  return lines.join('\n');
}

export const galleryCommand: Command = {
  spec: { command: 'gallery', summary: 'face gallery: enroll people, identify them (1:N) with unknown rejection', flags: {}, positionals: [{ name: 'command', help: Object.keys(SUBCOMMANDS).join('|') }] },
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined) {
      io.stderr.write(overview());
      return 2;
    }
    if (sub === '--help' || sub === '-h' || sub === 'help') {
      io.stdout.write(overview());
      return 0;
    }
    const c = SUBCOMMANDS[sub];
    if (!c) return reportError('gallery', new FacenetError('BAD_ARGUMENT', `unknown gallery command '${sub}': use one of ${Object.keys(SUBCOMMANDS).join(', ')}`), io.stderr);
    return c.run(rest, io);
  },
};
