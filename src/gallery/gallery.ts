/**
 * Gallery: enroll people, identify faces (1:N) with unknown rejection, verify (1:1). A durable
 * store (SQLite file or PostgreSQL) holds the faces; an in-process matrix in our engine answers
 * searches, loaded at open and kept in step with every write, this process's and others'.
 */
import { FacenetError } from '../errors.js';
import { ExactIndex, type MatrixPrecision } from './exact-index.js';
import { AnnIndex, type AnnSettings } from './ann-index.js';
import { annFileExists, loadAnnFile, removeAnnFile, saveAnnFile } from './ann-file.js';
import { bestPerSubject } from './rank.js';
import { thresholdForFar } from './far-threshold.js';
import { distanceFromSimilarity, unitCopy } from './vectors.js';
import { validateSubjectName } from './subject-name.js';
import type { Change, EnrollItem, GalleryStore, StoredRows } from './store.js';
import { describeInput, pickFace } from './pick-face.js';
import type { FaceMatch, FaceRecord, FaceSource, GalleryInfo, Identification, IdentifyOptions, SubjectSummary } from './types.js';
import type { Face } from '../detect/face.js';
import type { ImageInput, RgbImage } from '../io/image.js';

export interface GalleryOptions {
  /** Element type of the search matrix (default float32; bfloat16 halves memory and scan bytes). */
  precision?: MatrixPrecision;
  /** Detects and embeds faces for the image-level calls (a FaceNet); must be the gallery's model. */
  source?: FaceSource;
  /**
   * At close, save a snapshot of the search matrix beside an SQLite gallery when it has at least
   * this many faces and changed since open (default 20000; Infinity: never). Opening then reads
   * the snapshot and replays the change log after it.
   */
  snapshotMinRows?: number;
  /**
   * The ANN index (usearch HNSW, optional package). Default: use the one saved beside an SQLite
   * gallery (by `buildAnnIndex` / `facenet gallery index`) when there is one. true or settings:
   * also build one at open when none fits (PostgreSQL galleries keep theirs in memory only).
   * false: exact scans only.
   */
  ann?: boolean | AnnSettings;
}

/** What identify searches with. */
export interface AnnStatus {
  faces: number;
  settings: Required<AnnSettings>;
  /** Where it is saved, or null (in memory only). */
  file: string | null;
}

/** An image, or an embedding already computed by the gallery's model. */
export type EnrollInput = ImageInput | RgbImage | Float32Array;

export interface EnrollFailure {
  index: number;
  /** The path, or '#index' for buffers and embeddings. */
  input: string;
  code: 'NO_FACE' | 'SEVERAL_FACES' | 'BAD_IMAGE' | 'BAD_EMBEDDING';
  reason: string;
}

export interface EnrollResult {
  subject: string;
  /** Ids of the faces enrolled, in input order of the inputs that worked. */
  faceIds: string[];
  /** Inputs that were not enrolled, and why; the others are enrolled all the same. */
  failures: EnrollFailure[];
}

export interface ImageEnrollOptions {
  metadata?: Record<string, unknown>;
  /** Enroll the largest face of an image with several (default: such images are refused). */
  largestFace?: boolean;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export interface FaceIdentification extends Identification {
  /** The detected face; null when the query was an embedding. */
  face: Face | null;
}

export interface Verification {
  subject: string;
  /** Below the threshold; null when there is no threshold. */
  match: boolean | null;
  distance: number;
  similarity: number;
  /** The subject's closest face. */
  faceId: string;
  threshold: number | null;
}

export interface BulkEnrollOptions {
  /** Faces per transaction (default 2048): each subject lands whole or not at all either way. */
  facesPerTransaction?: number;
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

/** A face of the gallery with its subject and embedding (export). */
export interface ExportedRow {
  faceId: string;
  subject: string;
  embedding: Float32Array;
}

export class Gallery {
  private queue: Promise<unknown> = Promise.resolve();
  private source: FaceSource | null = null;
  private centroidIndex: ExactIndex | null = null;
  private ann: AnnIndex | null = null;
  private annChanged = false;
  private closed = false;
  private changed = false;
  private snapshotMinRows = 20000;

  protected constructor(
    protected readonly store: GalleryStore,
    private readonly index: ExactIndex,
    private readonly names: Map<number, string>,
  ) {}

  /** Loads the store's faces into a new search matrix. */
  static async fromStore(store: GalleryStore, options: GalleryOptions = {}): Promise<Gallery> {
    const index = new ExactIndex(store.info.dim, options.precision ?? 'float32');
    try {
      const pending: Change[][] = [];
      let loading = true;
      let gallery: Gallery | null = null;
      // Changes pushed while the rows load wait; applying them afterwards is idempotent.
      store.onChanges?.((c) => {
        if (loading || !gallery) pending.push(c);
        else void gallery.run(() => gallery!.apply(c)).catch(() => undefined);
      });
      index.reserve(Math.max(1024, await store.countFaces()));
      await store.loadFaces((rows) => index.add(rows.faceIds, rows.subjectIds, rows.embeddings));
      const names = await store.subjectNames();
      gallery = new Gallery(store, index, names);
      if (options.source) gallery.attachSource(options.source);
      if (options.snapshotMinRows !== undefined) gallery.snapshotMinRows = options.snapshotMinRows;
      gallery.changed = !store.loadedFromSnapshot;
      loading = false;
      for (const c of pending) await gallery.apply(c);
      await gallery.catchUp(); // after a snapshot: the log since it
      if (options.ann !== false) await gallery.openAnn(options.ann);
      return gallery;
    } catch (e) {
      index.dispose();
      await store.close();
      throw e;
    }
  }

  get info(): GalleryInfo {
    return this.store.info;
  }
  get location(): string {
    return this.store.location;
  }
  /** Faces in the search matrix. */
  get size(): number {
    return this.index.size;
  }
  /** Bytes held by the search matrix. */
  get matrixBytes(): number {
    return this.index.matrixBytes;
  }

  /** Runs f after every earlier operation, so searches never see a half-applied change. */
  protected run<T>(f: () => Promise<T> | T): Promise<T> {
    if (this.closed) return Promise.reject(new FacenetError('DISPOSED', `gallery ${this.location} is closed`));
    const p = this.queue.then(f);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async apply(changes: readonly Change[]): Promise<void> {
    for (const c of changes) {
      if (c.kind === 'add') {
        const rows = await this.store.loadAdded(c);
        for (const [id, name] of rows.names) this.names.set(id, name);
        this.addRows(rows);
      } else if (c.kind === 'removeSubject') {
        const rows: number[] = [];
        for (let r = 0; r < this.index.size; r++) if (this.index.subjectAt(r) === c.subjectId) rows.push(this.index.faceIdAt(r));
        for (const id of rows) {
          this.index.remove(id);
          this.removeFromAnn(id);
        }
        this.names.delete(c.subjectId);
        this.centroidIndex = null;
        this.changed = true;
      } else if (this.index.remove(c.faceId)) {
        this.removeFromAnn(c.faceId);
        this.centroidIndex = null;
        this.changed = true;
      }
    }
  }

  private addRows(rows: StoredRows): void {
    if (rows.faceIds.length === 0) return;
    this.index.add(rows.faceIds, rows.subjectIds, rows.embeddings);
    if (this.ann) {
      this.ann.add(rows.faceIds, rows.embeddings);
      this.annChanged = true;
    }
    this.centroidIndex = null;
    this.changed = true;
  }

  private removeFromAnn(faceId: number): void {
    if (!this.ann) return;
    this.ann.remove(faceId);
    this.annChanged = true;
  }

  /** The identity an ANN file must carry to belong to this gallery. */
  private get annIdentity(): string {
    return `${this.info.modelId}|${this.info.createdAt}`;
  }

  /** At open: the saved index brought up to date, else (when asked) a new one. */
  private async openAnn(wanted: true | AnnSettings | undefined): Promise<void> {
    const base = this.store.sidecarBase;
    const settings = typeof wanted === 'object' ? wanted : undefined;
    let saved: AnnIndex | null = null;
    try {
      saved = base ? await loadAnnFile(base, this.annIdentity, this.info.dim, settings) : null;
    } catch (e) {
      // usearch not installed: by default the gallery still opens and scans exactly; asked for, say so
      if (wanted !== undefined || !(e instanceof FacenetError) || e.code !== 'NOT_FOUND') throw e;
    }
    if (saved) {
      const r = saved.reconcile(this.index.size, (row) => this.index.faceIdAt(row), (rows) => this.index.rowsOf(rows));
      this.ann = saved;
      this.annChanged = r.added + r.removed > 0;
      return;
    }
    if (wanted !== undefined) await this.buildAnn(settings ?? {});
  }

  /** False when `signal` stopped it (nothing attached). */
  private async buildAnn(settings: AnnSettings, onProgress?: (done: number, total: number) => void, signal?: AbortSignal): Promise<boolean> {
    const ann = await AnnIndex.create(this.info.dim, settings, this.index.size);
    try {
      // In chunks of the matrix, so progress can be shown and an abort honoured between them.
      for (const { start, embeddings } of this.index.chunks(8192)) {
        if (signal?.aborted) {
          ann.dispose();
          return false;
        }
        const count = embeddings.length / this.info.dim;
        ann.add(Array.from({ length: count }, (_, i) => this.index.faceIdAt(start + i)), embeddings);
        onProgress?.(start + count, this.index.size);
        await new Promise((resolve) => setImmediate(resolve)); // let a SIGINT (the signal) and output through
      }
    } catch (e) {
      ann.dispose();
      throw e;
    }
    this.ann?.dispose();
    this.ann = ann;
    this.annChanged = true;
    return true;
  }

  /** The ANN index identify uses, or null (exact scans). */
  get annStatus(): AnnStatus | null {
    if (!this.ann) return null;
    return { faces: this.ann.size, settings: this.ann.settings, file: this.store.sidecarBase ? `${this.store.sidecarBase}.ann` : null };
  }

  /**
   * Builds an ANN index over every face (replacing any), and saves it beside an SQLite gallery at
   * once, so that later opens use it. identify then proposes candidates from it and re-scores them
   * exactly; `exact: true` still scans everything. Null when `signal` stopped it (nothing changed).
   */
  async buildAnnIndex(settings: AnnSettings = {}, options: { onProgress?: (done: number, total: number) => void; signal?: AbortSignal } = {}): Promise<AnnStatus | null> {
    return this.run(async () => {
      await this.catchUp();
      if (!(await this.buildAnn(settings, options.onProgress, options.signal))) return null;
      this.saveAnn();
      return this.annStatus!;
    });
  }

  /** Drops the ANN index and its saved files; identify scans exactly again. */
  async dropAnnIndex(): Promise<boolean> {
    return this.run(() => {
      const base = this.store.sidecarBase;
      const had = this.ann !== null || (base !== undefined && annFileExists(base));
      this.ann?.dispose();
      this.ann = null;
      if (base) removeAnnFile(base);
      return had;
    });
  }

  private saveAnn(): void {
    const base = this.store.sidecarBase;
    if (!this.ann || !base) return;
    saveAnnFile(base, this.ann, this.annIdentity);
    this.annChanged = false;
  }

  private async catchUp(): Promise<void> {
    const changes = await this.store.pollChanges();
    if (changes.length > 0) await this.apply(changes);
  }

  private checkModel(modelId: string | undefined, what: string): void {
    if (modelId !== undefined && modelId !== this.info.modelId) {
      throw new FacenetError('MODEL_MISMATCH', `${what}: embeddings come from model '${modelId}' but gallery ${this.location} holds model '${this.info.modelId}': use that model, or create a gallery for this one`);
    }
  }

  /** Enrolls one subject's embeddings in one transaction (the subject is created when new). */
  async enrollEmbeddings(subject: string, embeddings: readonly Float32Array[], options: { metadata?: Record<string, unknown>; modelId?: string } = {}): Promise<{ subject: string; faceIds: string[] }> {
    validateSubjectName(subject);
    this.checkModel(options.modelId, `enroll '${subject}'`);
    if (embeddings.length === 0) throw new FacenetError('BAD_ARGUMENT', `enroll '${subject}': no embeddings given`);
    const unit = embeddings.map((e, i) => unitCopy(e, this.info.dim, `enroll '${subject}' embedding ${i}`));
    const [done] = await this.write([{ subject, embeddings: unit, metadata: options.metadata ?? null }]);
    return { subject, faceIds: done!.faceIds.map(String) };
  }

  /**
   * Bulk import: many items (subject + embeddings), grouped into transactions of about
   * facesPerTransaction faces; an item is never split across two. Returns distinct subjects and faces.
   */
  async enrollMany(items: readonly EnrollItem[], options: BulkEnrollOptions = {}): Promise<{ subjects: number; faces: number }> {
    const per = options.facesPerTransaction ?? 2048;
    const total = items.reduce((a, it) => a + it.embeddings.length, 0);
    let done = 0;
    const subjects = new Set<string>();
    let batch: EnrollItem[] = [];
    let batchFaces = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      await this.write(batch);
      for (const it of batch) subjects.add(it.subject);
      done += batchFaces;
      batch = [];
      batchFaces = 0;
      options.onProgress?.(done, total);
    };
    for (const it of items) {
      if (options.signal?.aborted) break;
      validateSubjectName(it.subject);
      if (it.embeddings.length === 0) continue;
      const unit = it.embeddings.map((e, i) => unitCopy(e, this.info.dim, `'${it.subject}' embedding ${i}`));
      batch.push({ subject: it.subject, embeddings: unit, metadata: it.metadata ?? null });
      batchFaces += unit.length;
      if (batchFaces >= per) await flush();
    }
    await flush();
    return { subjects: subjects.size, faces: done };
  }

  private write(items: readonly EnrollItem[]) {
    return this.run(async () => {
      const done = await this.store.enroll(items, this.info.modelId);
      const dim = this.info.dim;
      for (let i = 0; i < done.length; i++) {
        const d = done[i]!;
        const embs = items[i]!.embeddings;
        this.names.set(d.subjectId, d.subject);
        const flat = new Float32Array(embs.length * dim);
        embs.forEach((e, j) => flat.set(e, j * dim));
        this.addRows({ faceIds: Float64Array.from(d.faceIds), subjectIds: new Int32Array(d.faceIds.length).fill(d.subjectId), embeddings: flat });
      }
      return done;
    });
  }

  /** The threshold identify uses: explicit, else from `far` and the stored ROC, else the model's. */
  resolveThreshold(o: Pick<IdentifyOptions, 'threshold' | 'far'> = {}): number | null {
    if (o.threshold !== undefined && o.far !== undefined) throw new FacenetError('BAD_ARGUMENT', 'give either threshold or far, not both');
    if (o.threshold !== undefined) {
      if (!(o.threshold >= 0 && Number.isFinite(o.threshold))) throw new FacenetError('BAD_ARGUMENT', `threshold must be a squared-L2 distance >= 0, got ${o.threshold}`);
      return o.threshold;
    }
    if (o.far !== undefined) {
      if (!this.info.roc) throw new FacenetError('BAD_ARGUMENT', `--far needs a stored ROC, and gallery ${this.location} has none: its model had no \`roc\` fact (run \`facenet validate --save-threshold\` on the model before creating the gallery), or pass --threshold`);
      return thresholdForFar(this.info.roc, o.far);
    }
    return this.info.threshold;
  }

  /** Ranked subjects for each query embedding; unknown when the best is at or past the threshold. */
  async identifyEmbeddings(queries: readonly Float32Array[], options: IdentifyOptions = {}): Promise<Identification[]> {
    const k = options.k ?? 5;
    if (!Number.isInteger(k) || k < 1) throw new FacenetError('BAD_ARGUMENT', `k must be a positive integer, got ${k}`);
    const aggregate = options.aggregate ?? 'best';
    if (aggregate !== 'best' && aggregate !== 'centroid') throw new FacenetError('BAD_ARGUMENT', `aggregate must be 'best' or 'centroid', got '${String(aggregate)}'`);
    this.checkModel(options.modelId, 'identify');
    const threshold = this.resolveThreshold(options);
    const dim = this.info.dim;
    const flat = new Float32Array(queries.length * dim);
    queries.forEach((q, i) => flat.set(unitCopy(q, dim, `identify query ${i}`), i * dim));
    return this.run(async () => {
      await this.catchUp();
      const ranked = aggregate === 'centroid' ? this.searchCentroids(flat, k) : this.ann && !options.exact ? this.searchBestAnn(this.ann, flat, k) : this.searchBest(flat, k);
      return ranked.map((hits) => {
        const matches: FaceMatch[] = hits.map((h) => ({ subject: this.names.get(h.subjectId) ?? `#${h.subjectId}`, faceId: h.faceId, distance: distanceFromSimilarity(h.similarity), similarity: h.similarity }));
        const best = matches[0];
        const unknown = !best || (threshold !== null && best.distance * best.distance >= threshold);
        return { unknown, matches };
      });
    });
  }

  /** Best face per subject, exact: widens the face top-k until k subjects are found. */
  private searchBest(flat: Float32Array, k: number): { subjectId: number; faceId: string; similarity: number }[][] {
    const q = flat.length / this.info.dim;
    const out: { subjectId: number; faceId: string; similarity: number }[][] = new Array(q);
    let todo = Array.from({ length: q }, (_, i) => i);
    let kf = Math.min(this.index.size, k * 4 + 16);
    while (todo.length > 0) {
      const sub = todo.length === q ? flat : gatherRows(flat, todo, this.info.dim);
      const hits = this.index.search(sub, kf);
      const again: number[] = [];
      todo.forEach((qi, j) => {
        const r = bestPerSubject(hits.rows[j]!, hits.similarities[j]!, (row) => this.index.subjectAt(row), k, this.index.size);
        if (!r.complete) again.push(qi);
        else out[qi] = r.hits.map((h) => ({ subjectId: h.subjectId, faceId: String(this.index.faceIdAt(h.row)), similarity: h.similarity }));
      });
      todo = again;
      kf = Math.min(this.index.size, kf * 4);
    }
    return out;
  }

  /**
   * Best face per subject from the ANN index's candidates, re-scored exactly: widens the
   * candidate count until k subjects are among them or every face was a candidate.
   */
  private searchBestAnn(ann: AnnIndex, flat: Float32Array, k: number): { subjectId: number; faceId: string; similarity: number }[][] {
    const dim = this.info.dim;
    const q = flat.length / dim;
    const out: { subjectId: number; faceId: string; similarity: number }[][] = [];
    for (let qi = 0; qi < q; qi++) {
      let kf = Math.min(ann.size, k * 4 + 16);
      for (;;) {
        const [ids] = ann.search(flat.subarray(qi * dim, (qi + 1) * dim), kf);
        const rows = Int32Array.from(ids!, (id) => this.index.rowOfFace(id)).filter((r) => r >= 0);
        const sims = this.index.scoreRows(rows, flat, qi * dim);
        const order = Array.from(rows.keys()).sort((a, b) => sims[b]! - sims[a]!);
        const r = bestPerSubject(Int32Array.from(order, (i) => rows[i]!), Float32Array.from(order, (i) => sims[i]!), (row) => this.index.subjectAt(row), k, kf >= ann.size ? rows.length : Infinity);
        if (r.complete) {
          out.push(r.hits.map((h) => ({ subjectId: h.subjectId, faceId: String(this.index.faceIdAt(h.row)), similarity: h.similarity })));
          break;
        }
        kf = Math.min(ann.size, kf * 4);
      }
    }
    return out;
  }

  /** Subjects scored by the cosine to the normalised mean of their faces. */
  private searchCentroids(flat: Float32Array, k: number): { subjectId: number; faceId: string; similarity: number }[][] {
    if (!this.centroidIndex) this.centroidIndex = this.index.centroidIndex();
    const c = this.centroidIndex;
    const hits = c.search(flat, k);
    return hits.rows.map((rows, j) => Array.from(rows, (row, i) => ({ subjectId: c.subjectAt(row), faceId: '', similarity: hits.similarities[j]![i]! })));
  }

  /** Sets the FaceSource of the image-level calls; refuses one of another model. */
  attachSource(source: FaceSource): void {
    this.checkModel(source.modelId, 'attach face source');
    this.source = source;
  }

  private requireSource(what: string): FaceSource {
    if (!this.source) throw new FacenetError('BAD_ARGUMENT', `${what} with images needs a face source: open the gallery with { source: faceNet } (a FaceNet of model '${this.info.modelId}')`);
    return this.source;
  }

  /**
   * Enrolls a subject from images (one face each; see largestFace) and/or embeddings. Inputs that
   * fail (no face, several faces, undecodable, bad embedding) are reported; the others are
   * enrolled, in one transaction.
   */
  async enroll(subject: string, inputs: readonly EnrollInput[], options: ImageEnrollOptions = {}): Promise<EnrollResult> {
    validateSubjectName(subject);
    const embeddings: Float32Array[] = [];
    const failures: EnrollFailure[] = [];
    for (let i = 0; i < inputs.length; i++) {
      if (options.signal?.aborted) break;
      const input = inputs[i]!;
      const name = describeInput(input, i);
      if (input instanceof Float32Array) {
        try {
          embeddings.push(unitCopy(input, this.info.dim, `enroll '${subject}' ${name}`));
        } catch (e) {
          failures.push({ index: i, input: name, code: 'BAD_EMBEDDING', reason: (e as Error).message });
        }
      } else {
        const source = this.requireSource('enroll');
        try {
          const picked = pickFace(await source.faces(input), options.largestFace ?? false);
          if (picked.ok) embeddings.push(unitCopy(picked.found.embedding, this.info.dim, `enroll '${subject}' ${name}`));
          else failures.push({ index: i, input: name, code: picked.code, reason: picked.reason });
        } catch (e) {
          if (!(e instanceof FacenetError) || (e.code !== 'BAD_IMAGE' && e.code !== 'NOT_FOUND' && e.code !== 'BAD_FILE')) throw e;
          failures.push({ index: i, input: name, code: 'BAD_IMAGE', reason: e.message });
        }
      }
      options.onProgress?.(i + 1, inputs.length);
    }
    if (embeddings.length === 0) return { subject, faceIds: [], failures };
    const [done] = await this.write([{ subject, embeddings, metadata: options.metadata ?? null }]);
    return { subject, faceIds: done!.faceIds.map(String), failures };
  }

  /** Every face in the image, each identified; [] when there is none. */
  async identify(image: ImageInput | RgbImage | Float32Array, options: IdentifyOptions = {}): Promise<FaceIdentification[]> {
    if (image instanceof Float32Array) {
      const [r] = await this.identifyEmbeddings([image], options);
      return [{ face: null, ...r! }];
    }
    const source = this.requireSource('identify');
    this.checkModel(source.modelId, 'identify');
    const found = await source.faces(image);
    if (found.length === 0) return [];
    const ids = await this.identifyEmbeddings(found.map((f) => f.embedding), options);
    return found.map((f, i) => ({ face: f.face, ...ids[i]! }));
  }

  /** 1:1: is the face in the image (one face, or the largest with largestFace) this subject? */
  async verify(subject: string, image: ImageInput | RgbImage | Float32Array, options: Pick<IdentifyOptions, 'threshold' | 'far'> & { largestFace?: boolean } = {}): Promise<Verification> {
    const threshold = this.resolveThreshold(options);
    let probe: Float32Array;
    if (image instanceof Float32Array) {
      probe = unitCopy(image, this.info.dim, 'verify');
    } else {
      const picked = pickFace(await this.requireSource('verify').faces(image), options.largestFace ?? false);
      if (!picked.ok) throw new FacenetError('BAD_IMAGE', `verify: ${describeInput(image, 0)}: ${picked.reason}`);
      probe = unitCopy(picked.found.embedding, this.info.dim, 'verify');
    }
    return this.run(async () => {
      await this.catchUp();
      let sid: number | undefined;
      for (const [id, n] of this.names) if (n === subject) sid = id;
      const rows: number[] = [];
      if (sid !== undefined) for (let r = 0; r < this.index.size; r++) if (this.index.subjectAt(r) === sid) rows.push(r);
      if (rows.length === 0) throw new FacenetError('NOT_FOUND', `verify: no subject '${subject}' in gallery ${this.location}`);
      const embs = this.index.rowsOf(rows);
      const dim = this.info.dim;
      let best = -2;
      let bestRow = rows[0]!;
      rows.forEach((r, i) => {
        let s = 0;
        for (let j = 0; j < dim; j++) s += embs[i * dim + j]! * probe[j]!;
        if (s > best) [best, bestRow] = [s, r];
      });
      const distance = distanceFromSimilarity(best);
      return { subject, match: threshold === null ? null : distance * distance < threshold, distance, similarity: best, faceId: String(this.index.faceIdAt(bestRow)), threshold };
    });
  }

  async subjects(): Promise<SubjectSummary[]> {
    return this.run(() => this.store.subjects());
  }

  async faces(subject: string): Promise<FaceRecord[]> {
    return this.run(() => this.store.faces(subject));
  }

  /** Removes a subject and its faces; the number of faces removed (0 for an unknown subject). */
  async removeSubject(name: string): Promise<number> {
    return this.run(async () => {
      const r = await this.store.removeSubject(name);
      if (!r) return 0;
      await this.apply([{ kind: 'removeSubject', subjectId: r.subjectId }]);
      return r.faceIds.length;
    });
  }

  async removeFace(faceId: string): Promise<boolean> {
    const id = Number(faceId);
    if (!Number.isSafeInteger(id) || id <= 0) return false;
    return this.run(async () => {
      const ok = await this.store.removeFace(id);
      if (ok) await this.apply([{ kind: 'removeFace', faceId: id }]);
      return ok;
    });
  }

  /** Every face with its subject and embedding, in chunks (for export). */
  async exportRows(onChunk: (rows: ExportedRow[]) => void): Promise<number> {
    return this.run(async () => {
      await this.catchUp();
      let n = 0;
      const dim = this.info.dim;
      for (const { start, embeddings } of this.index.chunks()) {
        const rows: ExportedRow[] = [];
        for (let i = 0; i * dim < embeddings.length; i++) {
          const r = start + i;
          rows.push({ faceId: String(this.index.faceIdAt(r)), subject: this.names.get(this.index.subjectAt(r)) ?? `#${this.index.subjectAt(r)}`, embedding: embeddings.subarray(i * dim, (i + 1) * dim) });
        }
        n += rows.length;
        onChunk(rows);
      }
      return n;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.queue;
    this.closed = true;
    try {
      if (this.store.saveSnapshot && this.changed && this.index.size >= this.snapshotMinRows) {
        await this.catchUp();
        const ix = this.index;
        this.store.saveSnapshot(ix.size, (r) => ix.faceIdAt(r), (r) => ix.subjectAt(r), ix.chunks());
      }
    } catch {
      // a snapshot is an optimisation: failing to write one loses nothing
    }
    try {
      if (this.annChanged) this.saveAnn();
    } catch {
      // nor is the ANN file: the next open reconciles an older one, or searches exactly
    }
    this.ann?.dispose();
    this.ann = null;
    this.index.dispose();
    this.centroidIndex?.dispose();
    this.centroidIndex = null;
    await this.store.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function gatherRows(flat: Float32Array, rows: readonly number[], dim: number): Float32Array {
  const out = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => out.set(flat.subarray(r * dim, (r + 1) * dim), i * dim));
  return out;
}
