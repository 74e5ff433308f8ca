import { DeclaredLabelsVisionEngine } from '../services/declared-labels';
import type { VisionEngine } from '../services/vision';
import { ModelVisionEngine } from './model-engine';
import { DEFAULT_ENGINE_DIR, INSTALL_HINT, isVisionEngineInstalled } from './packages';

/** `model`: the models judge the pixels; `declared`: images declare their labels (no models). */
export const VISION_MODES = ['model', 'declared'] as const;
export type VisionMode = (typeof VISION_MODES)[number];

export function isVisionMode(value: string): value is VisionMode {
  return (VISION_MODES as readonly string[]).includes(value);
}

export interface ChosenVision {
  engine: VisionEngine;
  /** What actually runs (a `model` request falls back to `declared` when the engine is missing). */
  mode: VisionMode;
}

/**
 * The Rekognition stand-in's engine for `mode` (default: `model` when local/vision-engine is
 * installed, else `declared`). Without the engine's packages, `model` falls back to `declared` and
 * says, in one line, how to install them. The models load in the background, so the runtime is ready
 * before them (a Rekognition call waits for them); an installed engine that fails to load fails
 * each call, never falls back silently.
 */
export async function chooseVisionEngine(
  mode: VisionMode | undefined,
  log: (line: string) => void,
  engineDir = DEFAULT_ENGINE_DIR,
): Promise<ChosenVision> {
  const declared = (): ChosenVision => ({
    engine: new DeclaredLabelsVisionEngine({ log }),
    mode: 'declared',
  });
  if (mode === 'declared') return declared();
  if (!isVisionEngineInstalled(engineDir)) {
    log(
      `vision: the model engine is not installed, images are judged by their declared labels; to judge real photos run \`${INSTALL_HINT}\``,
    );
    return declared();
  }
  const engine = ModelVisionEngine.deferred({ engineDir });
  log(
    'vision: model engine (nsfwjs moderation, CenterNet objects on WASM), its models loading in the background',
  );
  engine.preload((error) =>
    log(
      error
        ? `vision: the models failed to load (${error.message}); each Rekognition call tries again`
        : `vision: models loaded in ${engine.loadMs} ms`,
    ),
  );
  return { engine, mode: 'model' };
}
