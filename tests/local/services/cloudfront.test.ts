import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CloudFrontClient, CreateInvalidationCommand } from '@aws-sdk/client-cloudfront';
import { createCloudFrontHandler, isCloudFrontRequest } from '../../../local/services';
import { REMEMBERED_INVALIDATIONS } from '../../../local/services/cloudfront';

/** The stand-in on a loopback port, and a CloudFront client for it. */
async function serveStandIn(options: { logged: string[]; remembered?: number }) {
  const handle = createCloudFrontHandler({
    distributionIds: ['E2EXAMPLE'],
    log: (line) => options.logged.push(line),
    ...(options.remembered === undefined ? {} : { remembered: options.remembered }),
  });
  const server: Server = createServer((request, response) => {
    if (!isCloudFrontRequest(request)) {
      response.writeHead(404).end();
      return;
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new CloudFrontClient({
    region: 'us-east-1',
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
  });
  return {
    invalidate: (distributionId: string, callerReference: string, paths: string[]) =>
      client.send(
        new CreateInvalidationCommand({
          DistributionId: distributionId,
          InvalidationBatch: {
            CallerReference: callerReference,
            Paths: { Quantity: paths.length, Items: paths },
          },
        }),
      ),
    close: async () => {
      client.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

describe('CloudFront CreateInvalidation stand-in', () => {
  const logged: string[] = [];
  let standIn: Awaited<ReturnType<typeof serveStandIn>>;

  beforeAll(async () => {
    standIn = await serveStandIn({ logged });
  });

  afterAll(async () => {
    await standIn.close();
  });

  const invalidate: typeof standIn.invalidate = (...args) => standIn.invalidate(...args);

  it('accepts an invalidation of a distribution from the templates and answers like CloudFront', async () => {
    const answer = await invalidate('E2EXAMPLE', 'request-1-0', ['/tiles/p/u.jpg', '/photos/p/u.jpg']);

    expect(answer.Invalidation).toMatchObject({
      Id: expect.stringMatching(/^I[0-9A-F]+$/),
      Status: 'Completed',
      InvalidationBatch: {
        CallerReference: 'request-1-0',
        Paths: { Quantity: 2, Items: ['/tiles/p/u.jpg', '/photos/p/u.jpg'] },
      },
    });
    expect(logged).toContain('cloudfront: invalidated 2 path(s) on E2EXAMPLE');
  });

  it('treats a retry with the same caller reference and paths as the same invalidation', async () => {
    const first = await invalidate('E2EXAMPLE', 'request-2-0', ['/tiles/a.jpg']);
    const retry = await invalidate('E2EXAMPLE', 'request-2-0', ['/tiles/a.jpg']);

    expect(retry.Invalidation?.Id).toBe(first.Invalidation?.Id);
  });

  it('refuses another batch under a used caller reference, and unknown distributions', async () => {
    await invalidate('E2EXAMPLE', 'request-3-0', ['/tiles/b.jpg']);

    await expect(invalidate('E2EXAMPLE', 'request-3-0', ['/tiles/c.jpg'])).rejects.toMatchObject({
      name: 'InvalidationBatchAlreadyExists',
    });
    await expect(invalidate('ENOPE', 'request-4-0', ['/tiles/b.jpg'])).rejects.toMatchObject({
      name: 'NoSuchDistribution',
    });
  });

  it(`forgets a distribution's oldest caller reference once it has more than its limit (${REMEMBERED_INVALIDATIONS} unless told), not before`, async () => {
    const small = await serveStandIn({ logged: [], remembered: 3 });
    try {
      for (const reference of ['oldest', 'second', 'third'])
        await small.invalidate('E2EXAMPLE', reference, [`/tiles/${reference}.jpg`]);
      await expect(small.invalidate('E2EXAMPLE', 'oldest', ['/tiles/other.jpg'])).rejects.toMatchObject({
        name: 'InvalidationBatchAlreadyExists',
      });

      // A fourth reference: the oldest is forgotten, so its other batch is a new invalidation.
      await small.invalidate('E2EXAMPLE', 'fourth', ['/tiles/fourth.jpg']);
      const reused = await small.invalidate('E2EXAMPLE', 'oldest', ['/tiles/other.jpg']);
      expect(reused.Invalidation?.InvalidationBatch?.Paths?.Items).toEqual(['/tiles/other.jpg']);
      await expect(small.invalidate('E2EXAMPLE', 'third', ['/tiles/other.jpg'])).rejects.toMatchObject({
        name: 'InvalidationBatchAlreadyExists',
      });
    } finally {
      await small.close();
    }
  });
});
