/**
 * A local S3 in a process of its own, for crash tests: `node --import tsx local-s3-process.ts DATA_DIR` prints
 * `{"endpoint": ...}` once listening. Its notification callback never finishes, so every
 * notification stays pending until the process is killed.
 */
import { startLocalS3 } from '../../../local/s3';
import { adminAccess, BUCKET, CORS_BUCKET, REGION, VERSIONED_BUCKET } from './local-s3-harness';

async function main() {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: local-s3-process.ts DATA_DIR');
  const s3 = await startLocalS3({
    dataDir,
    region: REGION,
    access: adminAccess(dataDir),
    buckets: [{ name: BUCKET }, { name: CORS_BUCKET }, { name: VERSIONED_BUCKET, versioned: true }],
    onObjectCreated: () => new Promise<void>(() => {}),
  });
  void s3.deliverPending();
  process.stdout.write(`${JSON.stringify({ endpoint: s3.endpoint })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
