/** Streams a multipart/form-data POST upload: the fields before the file, then the file up to a size cap. */
import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import { malformedPostRequest } from './errors';

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
  /**
   * The file's size. When `truncated`, the bytes were counted, not kept: all of them when the
   * request declares its length (Content-Length); otherwise reading stopped at the cap and the
   * real file is larger.
   */
  size: number;
  truncated: boolean;
}

export interface PostForm {
  /** Fields sent before the file, names lower-cased (S3 field names are case-insensitive). */
  fields: Map<string, string>;
  file: UploadedFile | undefined;
}

export interface ReadPostFormOptions {
  /** How many file bytes to accept, decided once the fields before the file are known. */
  fileSizeCap: (fields: Map<string, string>) => number;
}

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_FIELDS = 200;

/** Largest declared body read to its end only to count an oversized file (S3's POST object limit). */
const MAX_COUNTED_BODY_BYTES = 5 * 1024 ** 3;

/**
 * Reads the form until the file ends. A file over the cap is not kept: when the request declares
 * a length of at most 5 GiB its bytes are still counted to the end (S3 reports the real size);
 * otherwise reading stops (the request is unpiped and paused; the caller must close the
 * connection after answering).
 */
export function readPostForm(request: IncomingMessage, options: ReadPostFormOptions): Promise<PostForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        limits: { fieldSize: MAX_FIELD_BYTES, fields: MAX_FIELDS, files: 1 },
      });
    } catch {
      reject(malformedPostRequest());
      return;
    }
    const declaredLength = Number(request.headers['content-length']);
    const countsOversizedFile = Number.isFinite(declaredLength) && declaredLength <= MAX_COUNTED_BODY_BYTES;
    const fields = new Map<string, string>();
    let file: UploadedFile | undefined;
    let settled = false;

    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      if (error) reject(error);
      else resolve({ fields, file });
    };
    const stopReading = () => {
      request.unpipe(parser);
      request.pause();
    };

    const acceptFile = (filename: string, contentType: string) => {
      const uploaded: UploadedFile = {
        filename,
        contentType,
        data: Buffer.alloc(0),
        size: 0,
        truncated: false,
      };
      file = uploaded;
      return { uploaded, cap: options.fileSizeCap(fields) };
    };

    parser.on('field', (name, value) => {
      if (file) return;
      const lower = name.toLowerCase();
      if (lower === 'file') {
        const { uploaded, cap } = acceptFile('', '');
        const data = Buffer.from(value, 'utf8');
        uploaded.size = data.length;
        uploaded.truncated = data.length > cap;
        uploaded.data = uploaded.truncated ? Buffer.alloc(0) : data;
        return;
      }
      fields.set(lower, value);
    });

    parser.on('file', (name, stream, info) => {
      if (file || name.toLowerCase() !== 'file') {
        stream.resume();
        return;
      }
      const { uploaded, cap } = acceptFile(info.filename ?? '', info.mimeType ?? '');
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        uploaded.size += chunk.length;
        if (uploaded.truncated) return;
        if (uploaded.size > cap) {
          uploaded.truncated = true;
          chunks.length = 0;
          if (!countsOversizedFile) {
            stopReading();
            finish();
          }
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (!uploaded.truncated) uploaded.data = Buffer.concat(chunks);
      });
    });

    parser.on('error', () => {
      stopReading();
      finish(malformedPostRequest());
    });
    parser.on('close', () => finish());
    request.on('error', (error) => finish(error));
    request.pipe(parser);
  });
}
