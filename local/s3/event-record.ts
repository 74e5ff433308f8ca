/** S3 event notification records (eventVersion 2.1) for created and removed objects. */
import type { S3EventRecord } from 'aws-lambda';

export type ObjectCreatedEventName =
  | 'ObjectCreated:Put'
  | 'ObjectCreated:Post'
  | 'ObjectCreated:Copy'
  | 'ObjectCreated:CompleteMultipartUpload';

export type ObjectRemovedEventName = 'ObjectRemoved:Delete' | 'ObjectRemoved:DeleteMarkerCreated';

export interface ObjectEvent {
  eventName: ObjectCreatedEventName | ObjectRemovedEventName;
  bucket: string;
  key: string;
  /** Created objects only. */
  size?: number;
  /** Created objects only; with or without the surrounding quotes; the record carries it without. */
  eTag?: string;
  /** Versioned buckets only (S3 leaves it out for unversioned ones). */
  versionId?: string;
  region: string;
  principalId: string;
  sourceIp: string;
  requestId: string;
  hostId: string;
  configurationId: string;
  ownerId: string;
  time: Date;
  sequencer: string;
}

/**
 * Encodes a key the way S3 writes it in notifications (form URL encoding): space becomes `+`,
 * `/` and `A-Z a-z 0-9 . - _ *` stay as they are, every other UTF-8 byte is percent-encoded.
 */
export function encodeNotificationKey(key: string): string {
  return key
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/[!'()~]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
        .replace(/%20/g, '+'),
    )
    .join('/');
}

/** Monotonic sequencers (hex, fixed width) so that later events on a key compare greater. */
export function createSequencer(now: () => Date): () => string {
  let last = 0n;
  return () => {
    const candidate = BigInt(now().getTime()) * 1000n;
    last = candidate > last ? candidate : last + 1n;
    return last.toString(16).toUpperCase().padStart(18, '0');
  };
}

/** The record S3 sends; removals carry no size or eTag, unversioned buckets no versionId. */
export function buildObjectRecord(creation: ObjectEvent): S3EventRecord {
  return {
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: creation.region,
    eventTime: creation.time.toISOString(),
    eventName: creation.eventName,
    userIdentity: { principalId: creation.principalId },
    requestParameters: { sourceIPAddress: creation.sourceIp },
    responseElements: { 'x-amz-request-id': creation.requestId, 'x-amz-id-2': creation.hostId },
    s3: {
      s3SchemaVersion: '1.0',
      configurationId: creation.configurationId,
      bucket: {
        name: creation.bucket,
        ownerIdentity: { principalId: creation.ownerId },
        arn: `arn:aws:s3:::${creation.bucket}`,
      },
      object: {
        key: encodeNotificationKey(creation.key),
        ...(creation.size === undefined ? {} : { size: creation.size }),
        ...(creation.eTag === undefined ? {} : { eTag: creation.eTag.replace(/^"|"$/g, '') }),
        ...(creation.versionId === undefined ? {} : { versionId: creation.versionId }),
        sequencer: creation.sequencer,
      } as S3EventRecord['s3']['object'],
    },
  };
}
