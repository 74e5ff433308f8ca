/** The parts of s3rver 3.7 (untyped CommonJS) that the local S3 endpoint uses. */
declare module 's3rver' {
  namespace S3rver {
    interface S3rverStoredObject {
      key: string;
      metadata: Record<string, string>;
      readonly size: number;
      readonly lastModifiedDate: Date;
    }

    interface S3rverListOptions {
      prefix?: string;
      startAfter?: string;
      maxKeys?: number;
      delimiter?: string;
    }

    /** What s3rver's controllers hand the store to write: the body in memory or as a stream. */
    interface S3rverObjectToPut {
      bucket: string;
      key: string;
      content: Buffer | NodeJS.ReadableStream;
      metadata: Record<string, string>;
    }

    interface S3rverStore {
      /** `<directory>/<bucket>/<key>._S3rver_<resource>`: where a key's `object`, `metadata.json`, … live. */
      getResourcePath(bucket: string, key: string | undefined, resource: string): string;
      putObject(object: S3rverObjectToPut): Promise<{ size: number; md5: string }>;
      putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
      getBucket(bucket: string): Promise<unknown>;
      listBuckets(): Promise<Array<{ name: string; creationDate: Date }>>;
      existsObject(bucket: string, key: string): Promise<boolean>;
      deleteObject(bucket: string, key: string): Promise<void>;
      getMetadata(bucket: string, key: string): Promise<Record<string, string>>;
      listObjects(
        bucket: string,
        options: S3rverListOptions,
      ): Promise<{ objects: S3rverStoredObject[]; commonPrefixes: string[]; isTruncated: boolean }>;
    }

    interface S3rverOptions {
      address?: string;
      port?: number;
      silent?: boolean;
      directory?: string;
      resetOnClose?: boolean;
      vhostBuckets?: boolean;
      allowMismatchedSignatures?: boolean;
      configureBuckets?: Array<{ name: string; configs?: Array<string | Buffer> }>;
    }
  }

  class S3rver {
    constructor(options: S3rver.S3rverOptions);
    readonly store: S3rver.S3rverStore;
    run(): Promise<{ address: string; port: number }>;
    close(): Promise<void>;
  }

  export = S3rver;
}
