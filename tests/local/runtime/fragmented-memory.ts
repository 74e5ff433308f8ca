/**
 * A process that leaves glibc holding fragmented free memory, then reports RSS (MB) as JSON:
 *   allocated  after 64 MB of 48 KB buffers (below glibc's mmap threshold: they come from the heap);
 *   freed      after every buffer but one in eight was dropped and collected: the survivors keep the
 *              heap's top in place, so free() alone cannot shrink it;
 *   returned   after the way of returning freed memory that argv[2] names:
 *                'call'     returnFreedMemory() of local/glibc-memory, once;
 *                'runtime'  startReturningFreedMemory(100) of the runtime, waited for; the JSON
 *                           then also holds trimsWhileBusy, and trimsWhileIdle after 600 ms of rest.
 * Run with --expose-gc and --import tsx.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startReturningFreedMemory } from '../../../local/runtime/freed-memory';

const BUFFER_BYTES = 48 * 1024;
const BUFFERS = (64 * 1024 * 1024) / BUFFER_BYTES;

const rssMb = () => Math.round(process.memoryUsage.rss() / 1024 / 102.4) / 10;

async function main(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const mode = process.argv[2];
  const returning = mode === 'runtime' ? startReturningFreedMemory(100) : undefined;

  let buffers: Buffer[] = Array.from({ length: BUFFERS }, (_, index) => Buffer.alloc(BUFFER_BYTES, index));
  const allocated = rssMb();
  buffers = buffers.filter((_, index) => index % 8 === 7);
  gc();
  gc();
  const freed = rssMb();

  if (mode === 'call') {
    (require('@happy-path/glibc-memory') as { returnFreedMemory(): boolean }).returnFreedMemory();
    console.log(JSON.stringify({ allocated, freed, returned: rssMb(), kept: buffers.length }));
    return;
  }
  if (!returning) throw new Error(`mode: call or runtime, not ${mode}`);
  // The collections above were the event loop's work: the next interval returns what they freed.
  await sleep(350);
  const returned = rssMb();
  const trimsWhileBusy = returning.report().count;
  await sleep(600);
  const trimsWhileIdle = returning.report().count - trimsWhileBusy;
  returning.stop();
  console.log(
    JSON.stringify({ allocated, freed, returned, kept: buffers.length, trimsWhileBusy, trimsWhileIdle }),
  );
}

main().catch((error: Error) => {
  console.error(error.stack ?? error.message);
  process.exit(1);
});
