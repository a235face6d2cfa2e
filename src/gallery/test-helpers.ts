/** Test helpers for the gallery: seeded unit vectors, temp dirs, brute-force reference search. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Rng } from '../math/rng.js';

export function tempDir(prefix = 'facenet-gallery-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** n seeded random unit vectors of size dim. */
export function unitVectors(n: number, dim: number, seed: number): Float32Array[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const v = new Float32Array(dim);
    let s = 0;
    for (let i = 0; i < dim; i++) {
      // gaussian entries give directions uniform on the sphere
      const g = rng.normal();
      v[i] = g;
      s += g * g;
    }
    const inv = 1 / Math.sqrt(s);
    for (let i = 0; i < dim; i++) v[i]! *= inv;
    return v;
  });
}

/** v plus seeded noise of the given size, renormalised. */
export function jitter(v: Float32Array, amount: number, seed: number): Float32Array {
  const [noise] = unitVectors(1, v.length, 0x5eed0000 + seed); // apart from unitVectors' own seeds
  const out = new Float32Array(v.length);
  let s = 0;
  for (let i = 0; i < v.length; i++) {
    out[i] = v[i]! + amount * noise![i]!;
    s += out[i]! ** 2;
  }
  for (let i = 0; i < v.length; i++) out[i]! /= Math.sqrt(s);
  return out;
}

export function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** Brute-force best-face ranking in plain JS: subject names best first, with their similarities. */
export function bruteForce(faces: { subject: string; embedding: Float32Array }[], q: Float32Array, k: number): { subject: string; similarity: number }[] {
  const best = new Map<string, number>();
  for (const f of faces) {
    const s = dot(f.embedding, q);
    if (!best.has(f.subject) || s > best.get(f.subject)!) best.set(f.subject, s);
  }
  return [...best.entries()].map(([subject, similarity]) => ({ subject, similarity })).sort((a, b) => b.similarity - a.similarity).slice(0, k);
}

/** A unit vector at exactly cosine c to the unit vector a (in the plane of a and a seeded direction). */
export function atCosine(a: Float32Array, c: number, seed: number): Float32Array {
  const [r] = unitVectors(1, a.length, 0x0c05_0000 + seed);
  const p = dot(r!, a);
  const b = r!.map((x, i) => x - p * a[i]!);
  const nb = Math.sqrt(dot(b, b));
  const sn = Math.sqrt(1 - c * c);
  return a.map((x, i) => c * x + (sn * b[i]!) / nb);
}
