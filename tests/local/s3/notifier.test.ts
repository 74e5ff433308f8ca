import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createNotifier, type WriteIntent } from '../../../local/s3/notifier';

const origin = { accessKeyId: 'AKID', sourceIp: '127.0.0.1', requestId: 'R', hostId: 'H' };
const intent = (key: string): WriteIntent => ({ eventName: 'ObjectCreated:Put', bucket: 'b', key, origin });

function notifierOn(journalPath: string, delivered: string[]) {
  return createNotifier({
    journalPath,
    region: 'us-east-1',
    ownerId: 'owner',
    now: () => new Date('2026-12-06T12:00:00Z'),
    onObjectCreated: (record) => {
      delivered.push(record.s3.object.key);
    },
    log: () => undefined,
  });
}

describe('S3 notification journal recovery', () => {
  it('stopped in the middle of recovery, keeps the intents it had not settled for the next start instead of failing', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notifier-'));
    const journalPath = path.join(dir, 'notifications.jsonl');
    try {
      fs.writeFileSync(
        journalPath,
        `${JSON.stringify({ id: 1, intent: intent('first.txt') })}\n${JSON.stringify({ id: 2, intent: intent('second.txt') })}\n`,
      );
      const delivered: string[] = [];
      const first = notifierOn(journalPath, delivered);
      let settleSecond: (landed: boolean) => void = () => undefined;
      const recovery = first.recover(async (pending) => {
        if (pending.key === 'first.txt') return { ...pending, size: 1, eTag: '"e"' };
        const landed = await new Promise<boolean>((resolve) => {
          settleSecond = resolve;
        });
        return landed ? { ...pending, size: 1, eTag: '"e"' } : undefined;
      });
      await new Promise((resolve) => setImmediate(resolve));
      await first.close(1_000);
      settleSecond(true);

      await expect(recovery).resolves.toBeUndefined();
      expect(delivered).toEqual(['first.txt']);

      const next = notifierOn(journalPath, delivered);
      await next.recover(async (pending) => ({ ...pending, size: 1, eTag: '"e"' }));
      await next.close(1_000);
      expect(delivered).toEqual(['first.txt', 'second.txt']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('settles the intent of a failed write at once: a landed object is notified now, a write that stored nothing is not left for the next start', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'notifier-'));
    const journalPath = path.join(dir, 'notifications.jsonl');
    try {
      const delivered: string[] = [];
      const notifier = notifierOn(journalPath, delivered);
      const landed = await notifier.expect(intent('landed.txt'));
      const lost = await notifier.expect(intent('lost.txt'));
      const answered = await notifier.expect(intent('answered.txt'));
      await notifier.created(answered, { ...intent('answered.txt'), size: 1, eTag: '"e"' });
      const asked: string[] = [];
      const resolveIntent = async (pending: WriteIntent) => {
        asked.push(pending.key);
        return pending.key === 'landed.txt' ? { ...pending, size: 1, eTag: '"e"' } : undefined;
      };

      await notifier.settle(landed, resolveIntent);
      await notifier.settle(lost, resolveIntent);
      await notifier.settle(answered, resolveIntent);
      await notifier.close(1_000);
      const next = notifierOn(journalPath, delivered);
      const askedAtRestart: string[] = [];
      await next.recover(async (pending) => {
        askedAtRestart.push(pending.key);
        return undefined;
      });
      await next.close(1_000);

      expect(asked).toEqual(['landed.txt', 'lost.txt']);
      expect(delivered).toEqual(['answered.txt', 'landed.txt']);
      expect(askedAtRestart).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
