/**
 * Batches for triplet training, in train_tripletloss.py's rounds: sample people_per_batch x
 * images_per_person images, embed them with the current model (training mode, as facenet runs that
 * pass with phase_train=True), select triplets, then train on them batch_size / 3 triplets at a
 * time until the round's triplets are used up.
 *
 * Every random choice is seeded by (seed, round) or (seed, round, position), and the round's
 * triplets go into checkpoints, so a resumed run continues inside a round exactly. Images that
 * cannot be read are dropped from the sample before selection (and a triplet whose image fails
 * later is dropped from its batch).
 */
import { loadBatch, type LoadedBatch, type SampleRef } from '../data/batch-loader.js';
import { PrefetchQueue, type Taken } from '../io/prefetch-queue.js';
import { mixSeed, STREAM } from '../data/sample-order.js';
import type { TrainingSet } from '../data/training-set.js';
import { samplePeople, selectTriplets } from '../data/triplet-selection.js';
import { Rng } from '../math/rng.js';
import { manualSeed } from '../tensor/index.js';
import { FacenetError } from '../errors.js';
import type { TrainConfig } from './config.js';
import { loaderOptions } from './softmax-source.js';
import { embedBatch } from './steps.js';
import type { TrainingModel } from './training-model.js';

export interface TripletRoundState {
  round: number;
  /** Next batch of the round. */
  position: number;
  /** Dataset image indices, 3 per triplet (anchor, positive, negative). */
  triplets: Int32Array;
}

export interface SelectionReport {
  round: number;
  sampled: number;
  unreadable: number;
  pairs: number;
  triplets: number;
  seconds: number;
}

export class TripletBatchSource {
  private current: (TripletRoundState & { queue: PrefetchQueue<LoadedBatch>; batches: number }) | null = null;
  private nextRound: number;
  lastSelection: SelectionReport | null = null;

  constructor(
    private readonly set: TrainingSet,
    private readonly config: TrainConfig,
    private readonly trainingModel: TrainingModel,
    saved: TripletRoundState | null,
  ) {
    this.nextRound = saved ? saved.round + 1 : 0;
    if (saved) this.startRound(saved);
  }

  private get perBatch(): number {
    return this.config.batchSize / 3;
  }

  private startRound(roundState: TripletRoundState): void {
    const batches = Math.ceil(roundState.triplets.length / 3 / this.perBatch);
    const options = loaderOptions(this.config, this.set.root, true, 3);
    const queue = new PrefetchQueue((k) => loadBatch(this.refs(roundState, k), options), this.config.prefetchBatches, roundState.position, batches);
    this.current = { ...roundState, queue, batches };
  }

  private refs(roundState: TripletRoundState, k: number): SampleRef[] {
    const from = k * this.perBatch * 3;
    const to = Math.min(roundState.triplets.length, from + this.perBatch * 3);
    const out: SampleRef[] = [];
    for (let j = from; j < to; j++) {
      const index = roundState.triplets[j]!;
      out.push({ path: this.set.paths[index]!, label: this.set.labels[index]!, augmentSeed: mixSeed(this.config.seed, STREAM.tripletAugment, roundState.round, j) });
    }
    return out;
  }

  /** Samples, embeds and selects a new round; returns false when aborted part way. */
  private async selectRound(signal?: AbortSignal): Promise<boolean> {
    const started = performance.now();
    const round = this.nextRound;
    const config = this.config;
    const sample = samplePeople(this.set.classImages, config.peoplePerBatch, config.imagesPerPerson, new Rng(mixSeed(config.seed, STREAM.people, round)));
    const refs: SampleRef[] = sample.images.map((index, i) => ({
      path: this.set.paths[index]!,
      label: this.set.labels[index]!,
      augmentSeed: mixSeed(config.seed, STREAM.embedAugment, round, i),
    }));
    const options = loaderOptions(config, this.set.root, true);
    const chunks = Math.ceil(refs.length / config.batchSize);
    const queue = new PrefetchQueue((k) => loadBatch(refs.slice(k * config.batchSize, (k + 1) * config.batchSize), options), config.prefetchBatches, 0, chunks);
    const dim = config.embeddingSize;
    const kept: number[] = [];
    const parts: Float32Array[] = [];
    manualSeed(mixSeed(config.seed, STREAM.dropout, round, 1));
    this.trainingModel.model.train();
    for (let k = 0; k < chunks; k++) {
      const { value: batch } = await queue.take();
      if (signal?.aborted) {
        queue.close();
        return false;
      }
      for (const i of batch.kept) kept.push(k * config.batchSize + i);
      if (batch.count > 1) parts.push(embedBatch(this.trainingModel, config, batch));
      else if (batch.count === 1) {
        // Batch norm cannot use batch statistics of a single image: embed it with the running ones.
        this.trainingModel.model.eval();
        parts.push(embedBatch(this.trainingModel, config, batch));
        this.trainingModel.model.train();
      }
    }
    const embeddings = new Float32Array(kept.length * dim);
    let offset = 0;
    for (const p of parts) {
      embeddings.set(p, offset);
      offset += p.length;
    }
    // Per-class counts of the images that decoded, in sampling order.
    const classOf: number[] = [];
    sample.numPerClass.forEach((n, ci) => classOf.push(...new Array<number>(n).fill(ci)));
    const numPerClass = new Array<number>(sample.numPerClass.length).fill(0);
    for (const i of kept) numPerClass[classOf[i]!]!++;
    const selection = selectTriplets(embeddings, dim, numPerClass, config.alpha, new Rng(mixSeed(config.seed, STREAM.selection, round)));
    const triplets = Int32Array.from(selection.triplets, (local) => sample.images[kept[local]!]!);
    this.nextRound = round + 1;
    this.startRound({ round, position: 0, triplets });
    this.lastSelection = {
      round,
      sampled: refs.length,
      unreadable: refs.length - kept.length,
      pairs: selection.pairsConsidered,
      triplets: triplets.length / 3,
      seconds: (performance.now() - started) / 1000,
    };
    return true;
  }

  /** The next training batch, selecting new rounds as needed; null when aborted during a selection. */
  async next(signal?: AbortSignal): Promise<(Taken<LoadedBatch> & { selection: SelectionReport | null }) | null> {
    let selection: SelectionReport | null = null;
    for (let empty = 0; !this.current || this.current.queue.exhausted; empty++) {
      if (empty >= 10) {
        throw new FacenetError(
          'BAD_ARGUMENT',
          `no triplets were selected in 10 rounds in a row (every negative is farther than its positive + alpha ${this.config.alpha}); the model separates these classes already, or the dataset has too few images per class`,
        );
      }
      if (!(await this.selectRound(signal))) return null;
      selection = this.lastSelection;
    }
    const taken = await this.current.queue.take();
    this.current.position++;
    return { ...taken, selection };
  }

  /** Facenet ends a triplet epoch only between rounds. */
  atRoundEnd(): boolean {
    return this.current === null || this.current.position >= this.current.batches;
  }

  /** The round in progress, for checkpoints. */
  state(): TripletRoundState | null {
    return this.current ? { round: this.current.round, position: this.current.position, triplets: this.current.triplets } : null;
  }

  close(): void {
    this.current?.queue.close();
  }
}
