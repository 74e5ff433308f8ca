/**
 * Delivers S3 notification records to the runtime's callback at least once, also across a crash:
 * every write records its notification in a journal (appended and synced) before the object is
 * stored, and the finished record before the write is answered; a record leaves the journal
 * only once the callback has taken it. At start, what is still pending is delivered again.
 */
import fs from 'node:fs';
import type { S3EventRecord } from 'aws-lambda';
import {
  buildObjectRecord,
  createSequencer,
  type ObjectCreatedEventName,
  type ObjectRemovedEventName,
} from './event-record';

/** The configurationId carried by every notification record. */
export const NOTIFICATION_CONFIGURATION_ID = 'LocalObjectCreated';

const RETRY_DELAYS_MS = [200, 1000, 5000];

export interface CreatedObject {
  eventName: ObjectCreatedEventName;
  bucket: string;
  key: string;
  size: number;
  eTag: string;
  /** Only in versioned buckets, as S3 sends it. */
  versionId?: string;
}

export interface RemovedObject {
  eventName: ObjectRemovedEventName;
  bucket: string;
  key: string;
  versionId?: string;
}

export interface RequestOrigin {
  accessKeyId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
}

/** A write that may create an object, recorded before the object is stored. */
export interface WriteIntent {
  eventName: ObjectCreatedEventName;
  bucket: string;
  key: string;
  /** The version id the object is stored under, in a versioned bucket. */
  versionId?: string;
  origin: RequestOrigin;
}

export interface NotifierOptions {
  journalPath: string;
  region: string;
  ownerId: string;
  now: () => Date;
  onObjectCreated?: (record: S3EventRecord) => void | Promise<void>;
  log: (line: string) => void;
}

type JournalLine =
  | { id: number; intent: WriteIntent }
  | { id: number; record: S3EventRecord }
  | { id: number; done: true };

export interface Notifier {
  /** Records that a write is about to store an object; resolves once that is durable. */
  expect(intent: WriteIntent): Promise<number>;
  /** Records the notification of a stored object (durably), then starts delivering it. */
  created(intentId: number, object: CreatedObject): Promise<void>;
  /** Records that an expected write stored nothing. */
  abandon(intentId: number): Promise<void>;
  /**
   * For a write that failed before it said what it stored: settles its intent now, as the next
   * start would (`resolveIntent` tells whether the object landed); nothing when already settled.
   * If `resolveIntent` fails, the intent stays pending in the journal for the next start.
   */
  settle(
    intentId: number,
    resolveIntent: (intent: WriteIntent) => Promise<CreatedObject | undefined>,
  ): Promise<void>;
  /** Records and delivers a removal (delete marker created, version deleted). */
  removed(object: RemovedObject, origin: RequestOrigin): Promise<void>;
  /**
   * Delivers again what a previous run left pending; intents without a record are settled with
   * `resolveIntent`, which tells whether the object landed (and then what it is) or not.
   */
  recover(resolveIntent: (intent: WriteIntent) => Promise<CreatedObject | undefined>): Promise<void>;
  /**
   * Stops retrying, waits for the deliveries in flight (at most `timeoutMs`) and closes the
   * journal; what is not delivered by then stays pending for the next start.
   */
  close(timeoutMs: number): Promise<void>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const nextSequencer = createSequencer(options.now);
  const previous = readJournal(options.journalPath);
  compact(options.journalPath, previous.pending);
  const descriptor = fs.openSync(options.journalPath, 'a');
  let nextId = previous.lastId + 1;
  let closed = false;
  let stopping = false;
  /** Retry waits in progress; a stop ends them at once. */
  const sleepers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      sleepers.add(wake);
    });
  const wakeSleepers = () => {
    for (const wake of [...sleepers]) wake();
  };
  const deliveries = new Set<Promise<void>>();
  const intents = new Map<number, WriteIntent>();

  const append = (line: JournalLine) => {
    if (closed) throw new Error('the S3 notification journal is closed');
    fs.writeSync(descriptor, `${JSON.stringify(line)}\n`);
    fs.fdatasyncSync(descriptor);
  };

  const buildRecord = (
    object: CreatedObject | RemovedObject,
    origin: RequestOrigin,
    time: Date,
  ): S3EventRecord =>
    buildObjectRecord({
      ...object,
      region: options.region,
      principalId: `AWS:${origin.accessKeyId}`,
      sourceIp: origin.sourceIp,
      requestId: origin.requestId,
      hostId: origin.hostId,
      configurationId: NOTIFICATION_CONFIGURATION_ID,
      ownerId: options.ownerId,
      time,
      sequencer: nextSequencer(),
    });

  const deliver = (id: number, record: S3EventRecord) => {
    const handler = options.onObjectCreated;
    const delivery = (async () => {
      for (let attempt = 0; ; attempt++) {
        if (stopping && attempt > 0) return; // kept pending: delivered again at the next start
        try {
          await handler?.(record);
          if (!closed) append({ id, done: true });
          return;
        } catch (error) {
          const delay = RETRY_DELAYS_MS[attempt];
          const where = `${record.s3.bucket.name}/${record.s3.object.key}`;
          if (delay === undefined || stopping) {
            options.log(
              `S3 notification for ${where} not delivered, kept for the next start: ${String(error)}`,
            );
            return;
          }
          options.log(`S3 notification for ${where} failed, retrying: ${String(error)}`);
          await sleep(delay);
        }
      }
    })().finally(() => deliveries.delete(delivery));
    deliveries.add(delivery);
  };

  const recordAndDeliver = (id: number, record: S3EventRecord) => {
    append({ id, record });
    intents.delete(id);
    deliver(id, record);
  };

  return {
    async expect(intent) {
      const id = nextId++;
      append({ id, intent });
      intents.set(id, intent);
      return id;
    },
    async created(intentId, object) {
      const intent = intents.get(intentId);
      if (!intent) throw new Error(`no write intent ${intentId}`);
      recordAndDeliver(intentId, buildRecord(object, intent.origin, options.now()));
    },
    async abandon(intentId) {
      intents.delete(intentId);
      append({ id: intentId, done: true });
    },
    async settle(intentId, resolveIntent) {
      const intent = intents.get(intentId);
      if (!intent) return;
      intents.delete(intentId);
      const object = await resolveIntent(intent);
      if (object) recordAndDeliver(intentId, buildRecord(object, intent.origin, options.now()));
      else append({ id: intentId, done: true });
    },
    async removed(object, origin) {
      recordAndDeliver(nextId++, buildRecord(object, origin, options.now()));
    },
    async recover(resolveIntent) {
      for (const [id, pending] of previous.pending) {
        // A stop in the middle of recovery leaves the rest pending in the journal, for the next start.
        if (stopping) return;
        if ('record' in pending) {
          deliver(id, pending.record);
          continue;
        }
        const object = await resolveIntent(pending.intent);
        if (stopping) return;
        if (object) recordAndDeliver(id, buildRecord(object, pending.intent.origin, options.now()));
        else append({ id, done: true });
      }
    },
    async close(timeoutMs) {
      stopping = true;
      wakeSleepers();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all([...deliveries]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs);
        }),
      ]);
      clearTimeout(timer);
      closed = true;
      fs.closeSync(descriptor);
    },
  };
}

type Pending = { intent: WriteIntent } | { record: S3EventRecord };

function readJournal(journalPath: string): { pending: Map<number, Pending>; lastId: number } {
  const pending = new Map<number, Pending>();
  let lastId = 0;
  const text = fs.existsSync(journalPath) ? fs.readFileSync(journalPath, 'utf8') : '';
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    let line: JournalLine;
    try {
      line = JSON.parse(raw) as JournalLine;
    } catch {
      continue; // torn by a crash in the middle of an append: that write was never answered
    }
    lastId = Math.max(lastId, line.id);
    if ('done' in line) pending.delete(line.id);
    else if ('record' in line) pending.set(line.id, { record: line.record });
    else pending.set(line.id, { intent: line.intent });
  }
  return { pending, lastId };
}

/** Rewrites the journal with only what is still pending (synced, then renamed over it). */
function compact(journalPath: string, pending: Map<number, Pending>) {
  const temporary = `${journalPath}.tmp`;
  const lines = [...pending].map(([id, entry]) => `${JSON.stringify({ id, ...entry })}\n`).join('');
  const descriptor = fs.openSync(temporary, 'w');
  fs.writeSync(descriptor, lines);
  fs.fsyncSync(descriptor);
  fs.closeSync(descriptor);
  fs.renameSync(temporary, journalPath);
}
