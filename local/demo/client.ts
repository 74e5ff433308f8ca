/**
 * A small client of the Happy Path HTTP API, as a web or mobile front end would use it: create
 * places, get an upload ticket, POST the photo straight to S3, poll the upload's status.
 */

export interface UploadStatus {
  uploadId: string;
  placeId: string;
  status: 'PENDING' | 'PROCESSING' | 'PROCESSED' | 'REJECTED' | 'FAILED';
  reason?: string;
  detail?: string;
  tileUrl?: string;
  scaledUrl?: string;
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} answered ${status}: ${body.slice(0, 300)}`);
  }
}

const FINAL = new Set(['PROCESSED', 'REJECTED', 'FAILED']);

/**
 * The pauses between polls of one status: 100 ms, then half as long again each time, up to 500 ms.
 * Each poll is a whole request through the API, a function and DynamoDB: a fixed 100 ms made ten
 * uploads processing for 5 s cost 500 requests, the backoff about 130, and a quick answer is still
 * seen within 100 ms.
 */
export function pollPauses(): () => Promise<void> {
  let pause = 100;
  return () => {
    const wait = pause;
    pause = Math.min(500, Math.round(pause * 1.5));
    return new Promise((resolve) => setTimeout(resolve, wait));
  };
}

export class HappyPathClient {
  constructor(
    private readonly apiUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    if (!response.ok) throw new ApiError(response.status, text, `${method} ${path}`);
    return JSON.parse(text) as T;
  }

  createPlace(place: { id: string; name: string; type: string; lat: number; lng: number }) {
    return this.call<{ placeId: string }>('POST', '/locations', place);
  }

  getPlace(placeId: string) {
    return this.call<{
      place: unknown;
      photos: Array<{ uploadId: string; tileUrl: string; scaledUrl: string }>;
    }>('GET', `/locations?placeId=${encodeURIComponent(placeId)}`);
  }

  /** Gets a ticket and POSTs `bytes` to S3 with it; returns the upload id. */
  async upload(placeId: string, bytes: Buffer, fileName: string): Promise<string> {
    const ticket = await this.call<{ uploadId: string; url: string; fields: Record<string, string> }>(
      'GET',
      `/uploads/url?placeId=${encodeURIComponent(placeId)}`,
    );
    const form = new FormData();
    for (const [name, value] of Object.entries(ticket.fields)) form.append(name, value);
    form.append('file', new Blob([bytes], { type: 'image/jpeg' }), fileName);
    const response = await fetch(ticket.url, { method: 'POST', body: form });
    if (!response.ok) throw new ApiError(response.status, await response.text(), `POST ${fileName} to S3`);
    return ticket.uploadId;
  }

  getUpload(uploadId: string) {
    return this.call<UploadStatus>('GET', `/uploads/${encodeURIComponent(uploadId)}`);
  }

  /**
   * Polls until the upload has ended (PROCESSED, REJECTED or FAILED) or the deadline passes. A 5xx
   * answer to one poll is retried at the next, as a front end would (API Gateway answers 500 when
   * the function fails or times out, 503 when it is throttled); the last one is thrown only when
   * the deadline passes without an answer.
   */
  async waitForUpload(uploadId: string, timeoutMs = 60_000): Promise<UploadStatus> {
    const deadline = Date.now() + timeoutMs;
    const pause = pollPauses();
    for (;;) {
      try {
        const upload = await this.getUpload(uploadId);
        if (FINAL.has(upload.status) || Date.now() > deadline) return upload;
      } catch (error) {
        if (!(error instanceof ApiError && error.status >= 500) || Date.now() > deadline) throw error;
      }
      await pause();
    }
  }
}
