/** The command registry: name -> lazy loader, so `facenet --help` does not load the engine. */
import type { Command } from '../command.js';

export const COMMANDS: Readonly<Record<string, { summary: string; load: () => Promise<Command> }>> = {
  classify: { summary: 'train or apply a linear SVM on face embeddings', load: async () => (await import('./classify.js')).classifyCommand },
  embed: { summary: 'embed aligned face images into an .npy file', load: async () => (await import('./embed.js')).embedCommand },
  validate: { summary: 'LFW accuracy, VAL@FAR, AUC, EER (facenet validate_on_lfw)', load: async () => (await import('./validate.js')).validateCommand },
};
