/** `facenet export`: a face model (and/or the MTCNN nets) to ONNX files, checked before writing. */
import path from 'node:path';
import { defineCommand } from '../define-command.js';
import { FacenetError } from '../../errors.js';
import { DEFAULT_OPSET, MAX_OPSET, exportModelFile, exportMtcnnFiles, type Precision, type WrittenFile } from '../../export/index.js';

export const exportCommand = defineCommand(
  {
    command: 'export',
    summary: 'Export an Inception-ResNet-v1 model (and the MTCNN nets) to ONNX',
    json: 'print { opset, precision, files: [{ file, bytes, nodes }] } as JSON',
    positionals: [
      {
        name: 'model',
        help: 'model name (vggface2, casia-webface) or file (.safetensors from `facenet train`, or a facenet-pytorch .pt); optional with --mtcnn',
        required: false,
      },
    ],
    flags: {
      format: { type: 'string', choices: ['onnx'], default: 'onnx', help: 'output format' },
      out: { type: 'string', required: true, help: 'output .onnx file; with --mtcnn and no MODEL, the folder for pnet/rnet/onet.onnx' },
      opset: { type: 'number', integer: true, min: 1, default: DEFAULT_OPSET, help: `ONNX opset of the default domain (up to ${MAX_OPSET})` },
      precision: { type: 'string', choices: ['fp32', 'fp16'], default: 'fp32', help: "'fp16' stores weights as float16 (half the file), computing in float32" },
      includePreprocessing: { type: 'boolean', help: 'take uint8 RGB NHWC images and standardise in the graph (else float32 NCHW, standardised; metadata says how)' },
      variant: { type: 'string', help: 'architecture of a .pt state dict (inception-resnet-v1, inception-resnet-v1-small, inception-resnet-v1-tiny)' },
      mtcnn: { type: 'boolean', help: 'also write MTCNN P-, R- and O-Net as pnet.onnx, rnet.onnx, onet.onnx (beside --out, or in it without MODEL)' },
    },
  },
  async ({ flags, positionals }, ctx) => {
    const { out, opset, precision, includePreprocessing, variant, mtcnn } = flags;
    const model = positionals.model as string | undefined;
    if (!model && !mtcnn) throw new FacenetError('BAD_ARGUMENT', 'name a MODEL to export, or pass --mtcnn (see facenet export --help)');
    if (model && !out.endsWith('.onnx')) throw new FacenetError('BAD_ARGUMENT', `--out must name a .onnx file, got ${out}`);
    const written: WrittenFile[] = [];
    const common = { opset, precision: precision as Precision };
    if (model) written.push(await exportModelFile(model, out, { ...common, includePreprocessing, ...(variant ? { variant } : {}) }));
    if (mtcnn) written.push(...(await exportMtcnnFiles(model ? path.dirname(out) : out, common)));
    ctx.print({ opset, precision, files: written }, () =>
      written.map((w) => `wrote ${w.file} (${(w.bytes / 1e6).toFixed(1)} MB, ${w.nodes} nodes, opset ${opset}, ${precision})\n`).join(''),
    );
    return 0;
  },
);
