/** Delivers object-created records to the runtime's callback without holding up the S3 response. */
import type { S3EventRecord } from 'aws-lambda';
import { buildObjectCreatedRecord, createSequencer, type ObjectCreatedEventName } from './event-record';

/** The configurationId carried by every notification record. */
export const NOTIFICATION_CONFIGURATION_ID = 'LocalObjectCreated';

export interface CreatedObject {
  eventName: ObjectCreatedEventName;
  bucket: string;
  key: string;
  size: number;
  eTag: string;
}

export interface RequestOrigin {
  accessKeyId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
}

export interface NotifierOptions {
  region: string;
  ownerId: string;
  now: () => Date;
  onObjectCreated?: (record: S3EventRecord) => void | Promise<void>;
  log: (line: string) => void;
}

export interface Notifier {
  notify(object: CreatedObject, origin: RequestOrigin): void;
  /** Resolves once every delivery started so far has finished. */
  settled(): Promise<void>;
}

export function createNotifier(options: NotifierOptions): Notifier {
  const nextSequencer = createSequencer(options.now);
  const pending = new Set<Promise<void>>();
  return {
    notify(object, origin) {
      const handler = options.onObjectCreated;
      if (!handler) return;
      const record = buildObjectCreatedRecord({
        ...object,
        region: options.region,
        principalId: `AWS:${origin.accessKeyId}`,
        sourceIp: origin.sourceIp,
        requestId: origin.requestId,
        hostId: origin.hostId,
        configurationId: NOTIFICATION_CONFIGURATION_ID,
        ownerId: options.ownerId,
        time: options.now(),
        sequencer: nextSequencer(),
      });
      const delivery: Promise<void> = Promise.resolve()
        .then(() => handler(record))
        .catch((error: unknown) =>
          options.log(`S3 notification handler failed for ${object.bucket}/${object.key}: ${String(error)}`),
        )
        .finally(() => pending.delete(delivery));
      pending.add(delivery);
    },
    async settled() {
      await Promise.all([...pending]);
    },
  };
}
