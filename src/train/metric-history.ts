/**
 * The training curves kept in memory for the plot, in bounded space: each series holds at most
 * maxPoints points; when full, neighbouring points are averaged in pairs and later steps are
 * averaged in buckets twice as wide. A 500-epoch run takes as much memory as a 5-epoch one.
 */
import type { MetricRecord } from './metrics-log.js';

export interface Point {
  x: number;
  y: number;
}

export class Series {
  private readonly pts: Point[] = [];
  private stride = 1;
  private sumX = 0;
  private sumY = 0;
  private n = 0;

  constructor(private readonly maxPoints = 1000) {}

  push(x: number, y: number): void {
    if (!Number.isFinite(y)) return;
    this.sumX += x;
    this.sumY += y;
    this.n++;
    if (this.n < this.stride) return;
    this.pts.push({ x: this.sumX / this.n, y: this.sumY / this.n });
    this.sumX = this.sumY = this.n = 0;
    if (this.pts.length >= this.maxPoints) {
      const merged: Point[] = [];
      for (let i = 0; i + 1 < this.pts.length; i += 2) {
        const a = this.pts[i]!;
        const b = this.pts[i + 1]!;
        merged.push({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
      }
      if (this.pts.length % 2 === 1) merged.push(this.pts[this.pts.length - 1]!);
      this.pts.length = 0;
      this.pts.push(...merged);
      this.stride *= 2;
    }
  }

  points(): Point[] {
    return this.n > 0 ? [...this.pts, { x: this.sumX / this.n, y: this.sumY / this.n }] : [...this.pts];
  }

  get length(): number {
    return this.pts.length + (this.n > 0 ? 1 : 0);
  }
}

/** Which record fields become which curves, per plot panel. */
export const CURVES = {
  // The prelogits norm is logged but not drawn: it is a magnitude (~10-100), not a loss term.
  loss: ['loss', 'crossEntropy', 'tripletLoss', 'centerLoss', 'regularization', 'val_loss'],
  accuracy: ['accuracy', 'val_accuracy', 'lfw_accuracy'],
  learningRate: ['lr'],
} as const;

export class MetricHistory {
  readonly series = new Map<string, Series>();

  /** Adds a metrics.jsonl record: step records feed the step curves, validation/lfw records theirs. */
  add(record: MetricRecord): void {
    const put = (name: string, value: unknown) => {
      if (typeof value !== 'number') return;
      let series = this.series.get(name);
      if (!series) this.series.set(name, (series = new Series()));
      series.push(record.step, value);
    };
    if (record.kind === 'step') {
      for (const k of ['loss', 'crossEntropy', 'tripletLoss', 'centerLoss', 'prelogitsNorm', 'regularization', 'accuracy', 'lr']) put(k, record[k]);
    } else if (record.kind === 'validation') {
      put('val_loss', record['loss']);
      put('val_accuracy', record['accuracy']);
    } else if (record.kind === 'lfw') {
      put('lfw_accuracy', record['accuracy']);
    }
  }
}
