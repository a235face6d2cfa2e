import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeXml, renderRocSvg } from './roc-plot.js';

/** Checks that tags nest and close properly and attributes are quoted; returns the element names. */
function checkXml(svg: string): string[] {
  const names: string[] = [];
  const stack: string[] = [];
  const body = svg.replace(/^<\?xml[^?]*\?>\s*/, '');
  const tag = /<(\/?)([a-zA-Z][\w-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (let m = tag.exec(body); m; m = tag.exec(body)) {
    assert.ok(!/[<>]/.test(body.slice(last, m.index)), `stray markup before ${m[0]}`);
    last = tag.lastIndex;
    const [, close, name, , selfClose] = m;
    if (close) assert.equal(stack.pop(), name, `closing ${name}`);
    else if (!selfClose) stack.push(name!);
    names.push(name!);
  }
  assert.ok(!/[<>]/.test(body.slice(last)), 'trailing markup');
  assert.deepEqual(stack, [], 'unclosed elements');
  return names;
}

const fpr = [0, 0, 0.0005, 0.002, 0.01, 0.1, 0.5, 1];
const tpr = [0, 0.3, 0.4, 0.6, 0.8, 0.95, 0.99, 1];

test('linear ROC plot is well-formed and has the curve, title and marker', () => {
  const svg = renderRocSvg({ fpr, tpr, accuracy_mean: 0.989, accuracy_std: 0.006, auc: 0.998 });
  const names = checkXml(svg);
  assert.equal(names[0], 'svg');
  assert.ok(svg.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'));
  const poly = /<polyline points="([^"]*)"\/>/.exec(svg);
  assert.ok(poly, 'polyline present');
  assert.equal(poly[1]!.split(' ').length, fpr.length);
  assert.match(svg, /ROC, accuracy 0\.98900 ± 0\.00600, AUC 0\.998/);
  assert.match(svg, /FAR=0\.001: TPR 0\.467/); // 0.4 + (0.001 - 0.0005) / 0.0015 * 0.2
  assert.match(svg, /<circle class="mark"/);
  assert.match(svg, />0\.6<\/text>/);
});

test('log-scale FAR axis drops FAR=0 points and labels decades', () => {
  const svg = renderRocSvg({ fpr, tpr }, { logFar: true, title: 'A & B <test>' });
  checkXml(svg);
  const poly = /<polyline points="([^"]*)"\/>/.exec(svg)!;
  assert.equal(poly[1]!.split(' ').length, fpr.length - 2);
  for (const label of ['1e-4', '1e-3', '1e-2', '1e-1', '1e0']) assert.ok(svg.includes(`>${label}</text>`), label);
  assert.ok(svg.includes('A &amp; B &lt;test&gt;'));
});

test('input checks and escaping', () => {
  assert.throws(() => renderRocSvg({ fpr: [0, 1], tpr: [0] }), { code: 'SHAPE_MISMATCH' });
  assert.throws(() => renderRocSvg({ fpr, tpr }, { logFar: true, minFar: 0 }), { code: 'BAD_ARGUMENT' });
  assert.equal(escapeXml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;');
});

test('the FAR marker is drawn only where the pairs measure that FAR; otherwise the plot says so (issue 10, 14b)', () => {
  // the demo's case: 60 different pairs per fold, so the curve jumps from FAR 0 to ~3e-3
  const coarse = renderRocSvg({ fpr: [0, 0, 0.0033, 0.05, 0.2, 1], tpr: [0, 0.4, 0.55, 0.8, 0.95, 1] }, { logFar: true });
  checkXml(coarse);
  assert.doesNotMatch(coarse, /<circle class="mark"/);
  assert.doesNotMatch(coarse, /<line class="mark"/);
  assert.doesNotMatch(coarse, /TPR 0\.\d{3}/);
  assert.match(coarse, /FAR=0\.001: not measurable with these pairs \(the smallest FAR they measure is 0\.0033\)/);
  // a curve that never falsely accepts anything
  assert.match(renderRocSvg({ fpr: [0, 0, 0], tpr: [0, 0.5, 1] }), /not measurable with these pairs \(no false accepts at any threshold\)/);
  // exactly at the FAR: measurable
  assert.match(renderRocSvg({ fpr: [0, 0.001, 1], tpr: [0, 0.7, 1] }), /FAR=0\.001: TPR 0\.700/);
});
