import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResolvedStack } from '../template';

/**
 * The local stand-in for CloudFront distributions with an S3 origin: serves the origin bucket's
 * objects over plain HTTP on localhost (GET and HEAD only, as the distribution allows), so photo
 * URLs the functions build from the distribution's domain open in a browser. The runtime rewrites
 * `https://<distribution domain>` in function environments to this server's URL.
 */

export type ObjectReader = (
  bucket: string,
  key: string,
) => Promise<
  | { body: Buffer; contentType?: string; cacheControl?: string; etag?: string; lastModified?: Date }
  | undefined
>;

export interface LocalCdn {
  logicalId: string;
  /** The domain CloudFront would give the distribution (as the templates resolve it). */
  domain: string;
  bucket: string;
  url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

/** The bucket behind a distribution's default behaviour, from its origin domain `<bucket>.s3.<region>.amazonaws.com`. */
function originBucket(config: Json): string | undefined {
  const behaviour = (config.DefaultCacheBehavior ?? {}) as Json;
  const origins = (config.Origins ?? []) as Json[];
  const origin = origins.find((candidate) => candidate.Id === behaviour.TargetOriginId) ?? origins[0];
  const domain = String(origin?.DomainName ?? '');
  return /^(.+?)\.s3[.-]/.exec(domain)?.[1];
}

function accessDenied(response: ServerResponse): void {
  response.writeHead(403, { 'content-type': 'application/xml' });
  response.end(
    '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>',
  );
}

export async function startLocalCdns(options: {
  stacks: readonly ResolvedStack[];
  host: string;
  /** Port of the first distribution; further ones get ephemeral ports. */
  port: number;
  readObject: ObjectReader;
  log: (line: string) => void;
}): Promise<LocalCdn[]> {
  const cdns: LocalCdn[] = [];
  let port = options.port;
  for (const stack of options.stacks) {
    for (const [logicalId, resource] of Object.entries(stack.resources)) {
      if (resource.type !== 'AWS::CloudFront::Distribution') continue;
      const config = ((resource.properties ?? {}) as Json).DistributionConfig as Json | undefined;
      const bucket = config ? originBucket(config) : undefined;
      if (!bucket) {
        options.log(`cdn: ${logicalId} has no S3 origin; not served locally`);
        continue;
      }
      const server = createServer((request: IncomingMessage, response: ServerResponse) => {
        serve(request, response, bucket, options.readObject).catch((error: Error) => {
          options.log(`cdn: ${error.message}`);
          if (!response.headersSent) response.writeHead(500);
          response.end();
        });
      });
      const url = await new Promise<string>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, options.host, () =>
          resolve(`http://${options.host}:${(server.address() as AddressInfo).port}`),
        );
      });
      port = 0;
      cdns.push({
        logicalId,
        domain: String(stack.getAtt(logicalId, 'DomainName')),
        bucket,
        url,
        close: () => new Promise((resolve) => server.close(() => resolve())),
      });
    }
  }
  return cdns;
}

async function serve(
  request: IncomingMessage,
  response: ServerResponse,
  bucket: string,
  readObject: ObjectReader,
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    accessDenied(response);
    return;
  }
  const path = new URL(request.url ?? '/', 'http://cdn.local').pathname;
  let key: string;
  try {
    key = decodeURIComponent(path.slice(1));
  } catch {
    accessDenied(response);
    return;
  }
  // A private bucket behind origin access control answers 403 for a missing key too.
  const object = key === '' ? undefined : await readObject(bucket, key);
  if (!object) {
    accessDenied(response);
    return;
  }
  if (object.etag && request.headers['if-none-match'] === object.etag) {
    response.writeHead(304, { etag: object.etag });
    response.end();
    return;
  }
  response.writeHead(200, {
    'content-type': object.contentType ?? 'application/octet-stream',
    'content-length': String(object.body.length),
    ...(object.cacheControl ? { 'cache-control': object.cacheControl } : {}),
    ...(object.etag ? { etag: object.etag } : {}),
    ...(object.lastModified ? { 'last-modified': object.lastModified.toUTCString() } : {}),
    'x-cache': 'Miss from local-cdn',
  });
  response.end(request.method === 'HEAD' ? undefined : object.body);
}

/** Replaces `https://<distribution domain>` with the local server's URL in a value. */
export function localizeUrls(value: string, cdns: readonly LocalCdn[]): string {
  return cdns.reduce((text, cdn) => text.split(`https://${cdn.domain}`).join(cdn.url), value);
}
