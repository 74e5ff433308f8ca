import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { XMLParser } from 'fast-xml-parser';
import { escapeXml } from '../xml';

/**
 * CloudFront `CreateInvalidation` (REST-XML, `POST /2020-05-31/distribution/{Id}/invalidation`)
 * for the distributions of the templates. The local CDN stand-in caches nothing, so an
 * invalidation only has to be accepted, answered like CloudFront and logged. Invalidations with
 * the same CallerReference and paths are the same invalidation (idempotent retries); the same
 * reference with other paths is refused as CloudFront does. Each distribution remembers its last
 * REMEMBERED_INVALIDATIONS references by default (CloudFront remembers all), so memory does not grow with the
 * GDPR purges run; a retry comes long before a thousand other invalidations.
 */

export const REMEMBERED_INVALIDATIONS = 1000;

const PATH = /^\/2020-05-31\/distribution\/([^/]+)\/invalidation\/?$/;

export function isCloudFrontRequest(request: IncomingMessage): boolean {
  return PATH.test(new URL(request.url ?? '/', 'http://local').pathname);
}

/** The distribution id a CloudFront API path names. */
export function cloudFrontDistributionId(request: IncomingMessage): string {
  return decodeURIComponent(PATH.exec(new URL(request.url ?? '/', 'http://local').pathname)?.[1] ?? '');
}

interface Invalidation {
  id: string;
  callerReference: string;
  paths: string[];
  createTime: string;
}

function errorXml(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'text/xml' });
  response.end(
    `<?xml version="1.0"?><ErrorResponse xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
  );
}

function invalidationXml(invalidation: Invalidation): string {
  const items = invalidation.paths.map((path) => `<Path>${escapeXml(path)}</Path>`).join('');
  return (
    '<?xml version="1.0"?><Invalidation xmlns="http://cloudfront.amazonaws.com/doc/2020-05-31/">' +
    `<Id>${invalidation.id}</Id><Status>Completed</Status><CreateTime>${invalidation.createTime}</CreateTime>` +
    `<InvalidationBatch><Paths><Quantity>${invalidation.paths.length}</Quantity><Items>${items}</Items></Paths>` +
    `<CallerReference>${escapeXml(invalidation.callerReference)}</CallerReference></InvalidationBatch></Invalidation>`
  );
}

export function createCloudFrontHandler(options: {
  distributionIds: readonly string[];
  log: (line: string) => void;
  /** Caller references remembered per distribution (default REMEMBERED_INVALIDATIONS). */
  remembered?: number;
}): (request: IncomingMessage, response: ServerResponse, body: string) => void {
  const remembered = options.remembered ?? REMEMBERED_INVALIDATIONS;
  const invalidations = new Map<string, Map<string, Invalidation>>();
  const parser = new XMLParser({ isArray: (name) => name === 'Path' });
  return (request, response, body) => {
    const distributionId = cloudFrontDistributionId(request);
    if (request.method !== 'POST') {
      errorXml(response, 405, 'MethodNotAllowed', 'Only CreateInvalidation is served locally');
      return;
    }
    if (!options.distributionIds.includes(distributionId)) {
      errorXml(response, 404, 'NoSuchDistribution', 'The specified distribution does not exist.');
      return;
    }
    let batch: { Paths?: { Quantity?: number; Items?: { Path?: unknown[] } }; CallerReference?: unknown };
    try {
      batch = parser.parse(body).InvalidationBatch ?? {};
    } catch {
      errorXml(response, 400, 'MalformedInput', 'The XML document is malformed.');
      return;
    }
    const paths = (batch.Paths?.Items?.Path ?? []).map(String);
    const callerReference = String(batch.CallerReference ?? '');
    if (!callerReference || paths.length === 0 || Number(batch.Paths?.Quantity) !== paths.length) {
      errorXml(response, 400, 'InvalidArgument', 'An invalidation needs a CallerReference and its paths.');
      return;
    }
    if (paths.some((path) => !path.startsWith('/'))) {
      errorXml(response, 400, 'InvalidArgument', 'Invalidation paths must start with /.');
      return;
    }
    const byReference = invalidations.get(distributionId) ?? new Map<string, Invalidation>();
    invalidations.set(distributionId, byReference);
    let invalidation = byReference.get(callerReference);
    if (invalidation && invalidation.paths.join('\n') !== paths.join('\n')) {
      errorXml(
        response,
        409,
        'InvalidationBatchAlreadyExists',
        'A different invalidation batch was already sent with this CallerReference.',
      );
      return;
    }
    if (!invalidation) {
      invalidation = {
        id: `I${randomBytes(10).toString('hex').toUpperCase()}`,
        callerReference,
        paths,
        createTime: new Date().toISOString(),
      };
      byReference.set(callerReference, invalidation);
      // A Map iterates in insertion order: the first key is the oldest reference.
      if (byReference.size > remembered) byReference.delete(byReference.keys().next().value as string);
      options.log(`cloudfront: invalidated ${paths.length} path(s) on ${distributionId}`);
    }
    response.writeHead(201, {
      'content-type': 'text/xml',
      location: `https://cloudfront.amazonaws.com/2020-05-31/distribution/${distributionId}/invalidation/${invalidation.id}`,
    });
    response.end(invalidationXml(invalidation));
  };
}
