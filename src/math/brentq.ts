/**
 * Brent's root finder, a line-for-line port of scipy.optimize.brentq (scipy/optimize/Zeros/brentq.c)
 * with scipy's defaults xtol = 2e-12, rtol = 4 * DBL_EPSILON, maxiter = 100, so that the EER of
 * validate_on_lfw (brentq on the interpolated ROC) comes out bit for bit the same.
 */
import { FacenetError } from '../errors.js';

export interface BrentqOptions {
  xtol?: number;
  rtol?: number;
  maxiter?: number;
}

/** Whether the sign bit is set (also for -0 and for NaNs with the sign bit, as C's signbit). */
function signbit(v: number): boolean {
  return v < 0 || Object.is(v, -0);
}

/**
 * A root of f in [a, b]; f(a) and f(b) must differ in sign. Throws BAD_ARGUMENT where scipy raises
 * ValueError (same signs) or RuntimeError (no convergence in maxiter iterations).
 */
export function brentq(f: (x: number) => number, a: number, b: number, options: BrentqOptions = {}): number {
  const xtol = options.xtol ?? 2e-12;
  const rtol = options.rtol ?? 4 * Number.EPSILON;
  const maxiter = options.maxiter ?? 100;
  if (!(xtol > 0)) throw new FacenetError('BAD_ARGUMENT', `brentq: xtol too small (${xtol} <= 0)`);
  if (!(rtol >= 4 * Number.EPSILON)) {
    throw new FacenetError('BAD_ARGUMENT', `brentq: rtol too small (${rtol} < ${4 * Number.EPSILON})`);
  }

  let xpre = a;
  let xcur = b;
  let xblk = 0;
  let fblk = 0;
  let spre = 0;
  let scur = 0;
  let fpre = f(xpre);
  let fcur = f(xcur);
  if (fpre === 0) return xpre;
  if (fcur === 0) return xcur;
  if (Number.isNaN(fpre) || Number.isNaN(fcur) || signbit(fpre) === signbit(fcur)) {
    // (A NaN's sign bit is not observable in JavaScript; scipy would either reject or wander.)
    throw new FacenetError('BAD_ARGUMENT', `brentq: f(a)=${fpre} and f(b)=${fcur} must have different signs`);
  }

  for (let i = 0; i < maxiter; i++) {
    if (fpre !== 0 && fcur !== 0 && signbit(fpre) !== signbit(fcur)) {
      xblk = xpre;
      fblk = fpre;
      spre = scur = xcur - xpre;
    }
    if (Math.abs(fblk) < Math.abs(fcur)) {
      xpre = xcur;
      xcur = xblk;
      xblk = xpre;
      fpre = fcur;
      fcur = fblk;
      fblk = fpre;
    }

    const delta = (xtol + rtol * Math.abs(xcur)) / 2;
    const sbis = (xblk - xcur) / 2;
    if (fcur === 0 || Math.abs(sbis) < delta) return xcur;

    if (Math.abs(spre) > delta && Math.abs(fcur) < Math.abs(fpre)) {
      let stry: number;
      if (xpre === xblk) {
        // interpolate
        stry = (-fcur * (xcur - xpre)) / (fcur - fpre);
      } else {
        // extrapolate (inverse quadratic)
        const dpre = (fpre - fcur) / (xpre - xcur);
        const dblk = (fblk - fcur) / (xblk - xcur);
        stry = (-fcur * (fblk * dblk - fpre * dpre)) / (dblk * dpre * (fblk - fpre));
      }
      if (2 * Math.abs(stry) < Math.min(Math.abs(spre), 3 * Math.abs(sbis) - delta)) {
        spre = scur; // good short step
        scur = stry;
      } else {
        spre = sbis; // bisect
        scur = sbis;
      }
    } else {
      spre = sbis; // bisect
      scur = sbis;
    }

    xpre = xcur;
    fpre = fcur;
    if (Math.abs(scur) > delta) xcur += scur;
    else xcur += sbis > 0 ? delta : -delta;
    fcur = f(xcur);
  }
  throw new FacenetError('BAD_ARGUMENT', `brentq: no convergence after ${maxiter} iterations (x = ${xcur})`);
}
