import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ServiceError } from '../../../local/services/errors';
import { ModelVisionEngine } from '../../../local/vision/model-engine';
import { rejectionOf } from '../services/harness';

/**
 * The model worker's lifecycle, on an engine folder whose packages are stand-ins (no models): the
 * TensorFlow.js core package stops the worker thread at its first load and throws a known error at
 * every later one; its marker file records each load.
 */
function fakeEngineDir(): { engineDir: string; loads: () => number } {
  const engineDir = mkdtempSync(join(tmpdir(), 'fake-vision-engine-'));
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(engineDir, path)), { recursive: true });
    writeFileSync(join(engineDir, path), text);
  };
  write('package.json', '{"name":"fake-vision-engine","private":true}');
  for (const name of [
    'nsfwjs',
    '@vladmandic/human',
    '@tensorflow/tfjs-backend-wasm',
    '@tensorflow/tfjs-core',
  ]) {
    write(`node_modules/${name}/package.json`, JSON.stringify({ name, main: 'index.js' }));
    write(`node_modules/${name}/index.js`, 'module.exports = {};');
  }
  const marker = (n: number) => join(engineDir, `loaded-${n}`);
  write(
    'node_modules/@tensorflow/tfjs-core/index.js',
    `const fs = require('node:fs');
     if (!fs.existsSync(${JSON.stringify(marker(1))})) {
       fs.writeFileSync(${JSON.stringify(marker(1))}, '');
       process.exit(3);
     }
     fs.writeFileSync(${JSON.stringify(marker(2))}, '');
     throw new Error('fake tfjs-core: the WASM backend is missing');`,
  );
  return { engineDir, loads: () => [1, 2].filter((n) => existsSync(marker(n))).length };
}

describe('the vision model worker', () => {
  const fake = fakeEngineDir();
  const engine = ModelVisionEngine.deferred({ engineDir: fake.engineDir });

  afterAll(async () => {
    await engine.close();
    rmSync(fake.engineDir, { recursive: true, force: true });
  });

  it('fails the requests of a worker that stops, then starts a new worker at the next request, whose errors keep their message', async () => {
    const image = Buffer.from('any bytes');

    const crashed = await rejectionOf(engine.detectLabels(image));
    const failed = await rejectionOf(engine.detectModerationLabels(image));

    expect(crashed.message).toBe('the vision model worker stopped (exit code 3)');
    expect(failed.message).toBe('fake tfjs-core: the WASM backend is missing');
    expect(failed).not.toBeInstanceOf(ServiceError);
    expect(fake.loads()).toBe(2);
    expect(engine.loadMs).toBeUndefined();
  }, 60_000);

  it('fails a request waiting for a worker that is closed, with a message that says so', async () => {
    const waiting = rejectionOf(engine.detectLabels(Buffer.from('any bytes')));

    await engine.close();

    expect((await waiting).message).toBe('the vision model worker was closed');
  }, 60_000);
});
