/** The command registry: name -> lazy loader, so `facenet --help` does not load the engine. */
import type { Command } from '../command.js';

export const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  detect: { summary: 'detect faces (MTCNN): boxes, probabilities, landmarks', load: async () => (await import('./detect.js')).detectCommand },
  align: { summary: 'align a class-per-folder dataset (facenet align_dataset_mtcnn)', load: async () => (await import('./align.js')).alignCommand },
  classify: { summary: 'train or apply a linear SVM on face embeddings', load: async () => (await import('./classify.js')).classifyCommand },
  compare: { summary: 'distance matrix and verdicts for faces in a few photos', load: async () => (await import('./compare.js')).compareCommand },
  export: { summary: 'export a model and the MTCNN nets to ONNX (for onnxruntime and the browser)', load: async () => (await import('./export.js')).exportCommand },
  embed: { summary: 'embed aligned face images into an .npy file', load: async () => (await import('./embed.js')).embedCommand },
  gallery: { summary: 'face gallery: create, enroll, add, identify, list, remove, export (SQLite or PostgreSQL)', load: async () => (await import('./gallery.js')).galleryCommand },
  serve: { summary: 'HTTP API and web page over a gallery (detect, verify, identify, enroll); `serve keys` for API keys', load: async () => (await import('./serve.js')).serveCommand },
  train: { summary: 'train a face-embedding model on an aligned dataset (facenet train_softmax / train_tripletloss)', load: async () => (await import('./train.js')).trainCommand },
  validate: { summary: 'LFW accuracy, VAL@FAR, AUC, EER (facenet validate_on_lfw)', load: async () => (await import('./validate.js')).validateCommand },
};
