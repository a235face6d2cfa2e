/**
 * `facenet validate`: the LFW protocol exactly as facenet's validate_on_lfw.py computes it, on an
 * aligned LFW folder and a model, or on embeddings computed elsewhere (rows 2i, 2i+1 = pair i).
 */
import { defineCommand } from '../define-command.js';
import { NETWORK_OPTIONS, networkOptions } from '../network-options.js';
import { ProgressBar } from '../progress.js';
import { validateLfw } from '../../eval/validate-lfw.js';
import { evaluateLfw, ROC_THRESHOLDS, type LfwReport } from '../../eval/lfw-protocol.js';
import { formatLfwReport } from '../../eval/report-format.js';
import { lfwFacts, summarizeLfw, thresholdUnusableBecause } from '../../eval/lfw-facts.js';
import { renderRocSvg } from '../../eval/roc-plot.js';
import { readPairs } from '../../eval/pairs.js';
import type { DistanceMetric } from '../../eval/distance.js';
import { readNpy } from '../../io/npy.js';
import { toFloat32 } from '../../io/raw-tensor.js';
import { writePlot } from '../../io/plot-file.js';
import { loadFaceModel } from '../../models/registry.js';
import { updateModelFacts } from '../../models/model-file.js';
import type { Precision } from '../../facenet.js';
import type { FitMode, FlipMode } from '../../embed/embedder.js';
import { FacenetError } from '../../errors.js';
import { existsSync } from 'node:fs';
import { checkOutputFile } from '../../io/output-path.js';
import { readEmbeddingsPair, sidecarPath } from '../../embed/embeddings-file.js';
import { gatherRows, pairRowsFromImages } from '../../eval/pairs-from-embeddings.js';
import { checkLfwRun, DEFAULT_MAX_SKIPPED, formatPairsHeadline, percent, singleClassFoldWarnings } from '../../eval/lfw-run-check.js';

const spec = {
  command: 'validate',
  summary: 'LFW accuracy, VAL@FAR, AUC and EER, as facenet validate_on_lfw',
  json: 'print the report as JSON',
  flags: {
    lfwDir: { type: 'string', help: 'aligned LFW folder (<name>/<name>_NNNN.png|jpg)' },
    pairs: { type: 'string', required: true, help: 'LFW pairs.txt' },
    model: { type: 'string', help: 'model name or file (with --lfw-dir)' },
    embeddings: { type: 'string', help: "embeddings instead of --lfw-dir/--model: `facenet embed`'s E.npy (its sidecar E.json maps pair images to rows), or a float32 [2N, D] .npy in pairs order (no sidecar)" },
    maxSkipped: { type: 'number', min: 0, max: 1, default: DEFAULT_MAX_SKIPPED, help: 'fail (exit 1) when more than this share of the pairs is skipped (missing or unreadable images)' },
    distanceMetric: { type: 'number', integer: true, min: 0, max: 1, default: 0, help: '0 = squared L2 (facenet default), 1 = arccos(cos)/pi' },
    subtractMean: { type: 'boolean', help: "subtract the training folds' mean embedding" },
    flip: { type: 'string', choices: ['none', 'concat', 'sum'], default: 'none', help: "mirrored images too: 'concat' (facenet) or 'sum' (insightface)" },
    fit: { type: 'string', choices: ['crop', 'resize'], default: 'crop', help: "images of another size than the model's: centre 'crop'/pad (facenet) or 'resize'" },
    nrofFolds: { type: 'number', integer: true, min: 2, default: 10, help: 'cross-validation folds' },
    batchSize: { type: 'number', integer: true, min: 1, default: 32, help: 'images per forward pass' },
    plot: { type: 'string', default: 'lfw-roc.svg', help: 'ROC plot file (.svg or .png); --plot none to skip' },
    saveThreshold: { type: 'boolean', help: "store the mean best threshold (and the figures) in the model file, for `facenet compare` verdicts (.safetensors models, squared L2, no flip)" },
    ...NETWORK_OPTIONS,
  },
} as const;

export const validateCommand = defineCommand(spec, async (args, { io }) => {
  const f = args.flags;
  const metric = f.distanceMetric as DistanceMetric;
  let report: LfwReport;
  let settings: Record<string, unknown>;
  let warnings: string[] = [];
  let skippedPairs = 0;
  let issame: boolean[];
  if (f.plot !== 'none') await checkOutputFile(f.plot, '--plot', { mkdir: true });
  if (f.saveThreshold) {
    if (!f.model || !f.model.endsWith('.safetensors')) throw new FacenetError('BAD_ARGUMENT', '--save-threshold needs --model FILE.safetensors');
    const unusable = thresholdUnusableBecause({ distanceMetric: metric, subtractMean: f.subtractMean, flipped: f.flip !== 'none' });
    if (unusable !== null) throw new FacenetError('BAD_ARGUMENT', `--save-threshold stores a squared-L2 threshold, but ${unusable}: use --distance-metric 0, no --flip, no --subtract-mean`);
  }
  if (f.embeddings) {
    if (f.lfwDir || f.model) throw new FacenetError('BAD_ARGUMENT', 'give either --embeddings, or --lfw-dir with --model');
    const pairs = (await readPairs(f.pairs)).pairs;
    let matrix: Float32Array;
    if (existsSync(sidecarPath(f.embeddings))) {
      const pair = await readEmbeddingsPair(f.embeddings);
      const found = pairRowsFromImages(pairs, pair.sidecar.images);
      matrix = gatherRows(pair.matrix, pair.dim, found.rows);
      issame = found.issame;
      skippedPairs = found.skipped.length;
      warnings = found.skipped.map((i) => `pair ${i + 1} (line ${pairs[i]!.line}) skipped: an image is not in ${sidecarPath(f.embeddings!)}`);
    } else {
      const raw = await readNpy(f.embeddings);
      if (raw.shape.length !== 2 || raw.shape[0] !== 2 * pairs.length) {
        throw new FacenetError(
          'SHAPE_MISMATCH',
          `${f.embeddings} has shape [${raw.shape}] but ${f.pairs} has ${pairs.length} pairs: expected [${2 * pairs.length}, D] (rows 2i and 2i+1 are pair i), or give \`facenet embed\`'s output with its sidecar`,
        );
      }
      matrix = toFloat32(raw);
      issame = pairs.map((p) => p.issame);
    }
    if (issame.length < f.nrofFolds) {
      throw new FacenetError('BAD_ARGUMENT', `only ${issame.length} of ${pairs.length} pairs have embeddings in ${f.embeddings}: too few for ${f.nrofFolds} folds`);
    }
    report = evaluateLfw(matrix, issame, { nrofFolds: f.nrofFolds, distanceMetric: metric, subtractMean: f.subtractMean });
    settings = { embeddings: f.embeddings, pairsFile: f.pairs, distanceMetric: metric, subtractMean: f.subtractMean, nrofFolds: f.nrofFolds, pairsUsed: issame.length, pairsSkipped: skippedPairs };
  } else {
    if (!f.lfwDir || !f.model) throw new FacenetError('BAD_ARGUMENT', 'give --lfw-dir and --model (or --embeddings FILE.npy)');
    const { model, id, warnings: loadWarnings } = await loadFaceModel(f.model, networkOptions(f));
    for (const w of loadWarnings) io.stderr.write(`validate: ${w}\n`);
    const bar = new ProgressBar({ label: 'embed LFW', unit: 'img', stream: io.stderr });
    try {
      const v = await validateLfw(model, id, {
        lfwDir: f.lfwDir,
        pairsFile: f.pairs,
        distanceMetric: metric,
        subtractMean: f.subtractMean,
        flip: f.flip as FlipMode,
        fit: f.fit as FitMode,
        nrofFolds: f.nrofFolds,
        batchSize: f.batchSize,
        signal: io.signal,
        onProgress: (done, total) => {
          bar.setTotal(total);
          bar.update(done);
        },
      });
      report = v.report;
      settings = v.settings;
      skippedPairs = v.skipped.length;
      issame = v.issame;
      warnings = [
        ...v.skipped.map((s) => `pair ${s.pairIndex + 1} (line ${s.pair.line}) skipped: ${s.missing.join(', ')} missing or unreadable`),
        ...v.unreadable.map((u) => `unreadable image ${u.file}: ${u.reason}`),
      ];
    } finally {
      bar.finish();
      model.dispose();
    }
  }
  const check = checkLfwRun(issame, skippedPairs, f.nrofFolds, f.maxSkipped);
  let exitCode = 0;
  let thresholdStored = false;
  if (f.saveThreshold) {
    if (check.thresholdProblems.length > 0) {
      // A threshold from such a run (accuracy 1.0 on a handful of pairs) would make every verdict wrong.
      io.stderr.write(`validate: threshold NOT stored in ${f.model}: ${check.thresholdProblems.join('; ')}\n`);
      exitCode = 1;
    } else {
      const summary = summarizeLfw(report, skippedPairs);
      // roc: the fold-averaged ROC, from which `facenet gallery identify --far F` picks a threshold.
      await updateModelFacts(f.model!, { threshold: summary.threshold, lfw: lfwFacts(summary, f.pairs, settings['precision'] as Precision | undefined), roc: { thresholds: Array.from(ROC_THRESHOLDS), tpr: report.tpr, fpr: report.fpr } });
      io.stderr.write(`validate: stored threshold ${summary.threshold.toFixed(4)} in ${f.model}\n`);
      thresholdStored = true;
    }
  }
  for (const w of warnings.slice(0, 20)) io.stderr.write(`validate: ${w}\n`);
  if (warnings.length > 20) io.stderr.write(`validate: … ${warnings.length - 20} more\n`);
  for (const w of singleClassFoldWarnings(check)) io.stderr.write(`validate: warning: ${w}\n`);
  if (f.plot !== 'none') {
    await writePlot(renderRocSvg(report, { logFar: true, title: `LFW ROC (${settings['model'] ?? settings['embeddings']})` }), f.plot);
  }
  const { tpr: _tpr, fpr: _fpr, ...figures } = report;
  if (f.json) {
    const pairsFacts = { used: check.pairsUsed, skipped: check.pairsSkipped, total: check.pairsTotal, skippedShare: check.skippedShare };
    io.stdout.write(
      JSON.stringify({ ...figures, pairs: pairsFacts, singleClassFolds: check.singleClassFolds, thresholdStored, settings: { ...report.settings, ...settings }, plot: f.plot === 'none' ? null : f.plot }) + '\n',
    );
  } else {
    io.stdout.write(formatPairsHeadline(check) + '\n' + formatLfwReport(report) + '\n');
    io.stdout.write(`Model/inputs: ${JSON.stringify(settings)}\n`);
    if (f.plot !== 'none') io.stdout.write(`ROC plot: ${f.plot}\n`);
  }
  if (check.tooManySkipped) {
    io.stderr.write(
      `validate: FAILED: ${check.pairsSkipped} of ${check.pairsTotal} pairs (${percent(check.skippedShare)}) were skipped, more than --max-skipped ${f.maxSkipped}: ` +
        'the figures above do not measure LFW. Fix the missing images (see above) or raise --max-skipped\n',
    );
    exitCode = 1;
  }
  return exitCode;
});
