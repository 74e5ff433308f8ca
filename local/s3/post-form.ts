/**
 * Streams a multipart/form-data POST upload: the fields before the file, then the file, written to
 * a spool file as it arrives (never held whole in memory), up to a size cap.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import busboy from 'busboy';
import { malformedPostRequest } from './errors';

export interface UploadedFile {
  filename: string;
  contentType: string;
  /**
   * The file's size. When `truncated`, the bytes were counted, not kept: all of them when the
   * request declares its length (Content-Length); otherwise reading stopped at the cap and the
   * real file is larger.
   */
  size: number;
  truncated: boolean;
  /** The file's bytes (none when `truncated`); each call reads them again from the start. */
  read(): Readable;
}

export interface PostForm {
  /** Fields sent before the file, names lower-cased (S3 field names are case-insensitive). */
  fields: Map<string, string>;
  file: UploadedFile | undefined;
  /** Deletes the spool file; call it once the upload is stored or refused. */
  discard(): Promise<void>;
}

export interface ReadPostFormOptions {
  /** How many file bytes to accept, decided once the fields before the file are known. */
  fileSizeCap: (fields: Map<string, string>) => number;
  /** Where the file is written while it is read (an existing directory). */
  spoolDir: string;
}

const MAX_FIELD_BYTES = 1024 * 1024;
const MAX_FIELDS = 200;

/** Largest declared body read to its end only to count an oversized file (S3's POST object limit). */
const MAX_COUNTED_BODY_BYTES = 5 * 1024 ** 3;

const noBytes = () => Readable.from([]);

/**
 * Reads the form until the file ends. A file over the cap is not kept: when the request declares
 * a length of at most 5 GiB its bytes are still counted to the end (S3 reports the real size);
 * otherwise reading stops (the request is unpiped and paused; the caller must close the
 * connection after answering). On failure the spool file is already deleted.
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
    let spool: { path: string; writer: fs.WriteStream; closed: Promise<void> } | undefined;
    let settled = false;

    const discard = async () => {
      if (spool) await fs.promises.rm(spool.path, { force: true });
    };
    /** Waits until the spool file is complete (or, when it is not kept, closed). */
    const closeSpool = async (keep: boolean) => {
      if (!spool) return;
      if (!keep) spool.writer.destroy();
      await spool.closed;
    };
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      const keep = error === undefined && file?.truncated === false;
      void closeSpool(keep).then(async () => {
        if (!keep) await discard();
        if (error) reject(error);
        else if (spool?.writer.errored) reject(spool.writer.errored);
        else resolve({ fields, file, discard });
      });
    };
    const stopReading = () => {
      request.unpipe(parser);
      request.pause();
    };

    const acceptFile = (filename: string, contentType: string, read: () => Readable) => {
      const uploaded: UploadedFile = { filename, contentType, size: 0, truncated: false, read };
      file = uploaded;
      return { uploaded, cap: options.fileSizeCap(fields) };
    };
    const truncate = (uploaded: UploadedFile) => {
      uploaded.truncated = true;
      uploaded.read = noBytes;
      spool?.writer.destroy();
    };

    parser.on('field', (name, value) => {
      if (file) return;
      const lower = name.toLowerCase();
      if (lower === 'file') {
        const data = Buffer.from(value, 'utf8');
        const { uploaded, cap } = acceptFile('', '', () => Readable.from([data]));
        uploaded.size = data.length;
        if (data.length > cap) truncate(uploaded);
        return;
      }
      fields.set(lower, value);
    });

    parser.on('file', (name, stream, info) => {
      if (file || name.toLowerCase() !== 'file') {
        stream.resume();
        return;
      }
      const spoolPath = path.join(options.spoolDir, randomUUID());
      const writer = fs.createWriteStream(spoolPath);
      spool = {
        path: spoolPath,
        writer,
        closed: new Promise((closed) => writer.once('close', () => closed())),
      };
      writer.on('error', (error) => finish(error));
      const { uploaded, cap } = acceptFile(info.filename ?? '', info.mimeType ?? '', () =>
        fs.createReadStream(spoolPath),
      );
      stream.on('data', (chunk: Buffer) => {
        uploaded.size += chunk.length;
        if (uploaded.truncated) return;
        if (uploaded.size > cap) {
          truncate(uploaded);
          if (!countsOversizedFile) {
            stopReading();
            finish();
          }
          return;
        }
        if (!writer.write(chunk)) {
          stream.pause();
          writer.once('drain', () => stream.resume());
        }
      });
      stream.on('end', () => {
        if (!uploaded.truncated) writer.end();
      });
      // A body that ends inside the file fails the file's stream (and the parser): a bad request.
      stream.on('error', () => {
        stopReading();
        finish(malformedPostRequest());
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
