import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { getNamespace, Segment, type Subsegment, setSegment } from 'aws-xray-sdk-core';
import sharp from 'sharp';
import { fixture } from '../../../helpers/fixtures';

/**
 * The check-dimensions task as Lambda runs it with Tracing: Active (AWS_EXECUTION_ENV set, the
 * invocation inside an X-Ray segment), its S3 client talking HTTP to a stand-in that serves
 * ranged GETs, so the SDK's whole middleware stack, X-Ray's included, runs for every call.
 */
const saved = { ...process.env };
let server: Server;
let photo: Buffer;
const requests: string[] = [];

beforeAll(async () => {
  photo = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#4a7' } })
    .jpeg()
    .toBuffer();
  server = createServer((request, response) => {
    requests.push(`${request.method} ${request.headers.range}`);
    const [, start, end] = /^bytes=(\d+)-(\d+)$/.exec(String(request.headers.range)) ?? [];
    const first = Number(start);
    const last = Math.min(Number(end), photo.length - 1);
    response.writeHead(206, {
      'content-range': `bytes ${first}-${last}/${photo.length}`,
      'content-length': String(last - first + 1),
      'content-type': 'image/jpeg',
      'x-amz-request-id': `request-${requests.length}`,
    });
    response.end(photo.subarray(first, last + 1));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  Object.assign(process.env, {
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    _HANDLER: 'check-dimensions.handler',
    AWS_ENDPOINT_URL_S3: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
  });
  jest.resetModules();
});

afterAll(async () => {
  process.env = saved;
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const context = {
  functionName: 'CheckDimensionsFunction',
  awsRequestId: 'c0ffee00-0000-4000-8000-000000000001',
  getRemainingTimeInMillis: () => 5000,
} as unknown as Context;

/** Runs one invocation inside a fresh X-Ray segment, as Lambda's facade segment would hold it. */
async function invokeTraced(event: unknown): Promise<{ segment: Segment; result: unknown }> {
  const { handler } = await import('../../../../functions/workflow/check-dimensions');
  const segment = new Segment('CheckDimensionsFunction');
  const result = await getNamespace().runPromise(async () => {
    setSegment(segment);
    return handler(event, context);
  });
  return { segment, result };
}

const subsegmentsOf = (parent: Segment | Subsegment): Subsegment[] => parent.subsegments ?? [];

describe('check-dimensions traced in Lambda', () => {
  it('records one S3 subsegment per AWS call under the handler subsegment, annotated with the upload id and without the response', async () => {
    const event = fixture<{ upload: { uploadId: string } }>('workflow/check-dimensions.json');

    const { segment, result } = await invokeTraced(event);

    expect(result).toMatchObject({ accepted: true, width: 1200, height: 900 });
    const [handlerSegment, ...others] = subsegmentsOf(segment);
    expect(others).toEqual([]);
    expect(handlerSegment?.name).toBe('## check-dimensions.handler');
    // What the subsegment records (the SDK's types leave these fields out).
    const recorded = handlerSegment as unknown as { annotations?: object; metadata?: object };
    expect(recorded.annotations).toMatchObject({
      uploadId: event.upload.uploadId,
      Service: 'happy-path-tests',
      ColdStart: true,
    });
    // Task outputs are not copied into the trace (the erasure flow could not delete them there).
    expect(JSON.stringify(recorded.metadata ?? {})).not.toContain('response');
    const calls = subsegmentsOf(handlerSegment as Subsegment);
    expect(requests.length).toBeGreaterThan(0);
    expect(calls).toHaveLength(requests.length);
    for (const call of calls) {
      expect(call).toMatchObject({ name: 'S3', namespace: 'aws', aws: { operation: 'GetObject' } });
      expect(call.isClosed()).toBe(true);
    }
  });
});
