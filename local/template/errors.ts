/** Where in a template something went wrong: the file and a dotted property path. */
export interface TemplateLocation {
  readonly fileName: string;
  /** Dotted path from the template root, e.g. `Resources.UploadBucket.Properties.BucketName`. */
  readonly path: string;
  /** 1-based line of the enclosing resource (or section) when known. */
  readonly line?: number;
}

/**
 * Any problem found while parsing or resolving a template. The message always starts with
 * `<file>: <path>: ` so that it points at the offending property.
 */
export class TemplateError extends Error {
  readonly fileName: string;
  readonly path: string;
  readonly line: number | undefined;

  constructor(location: TemplateLocation, detail: string) {
    super(
      location.path ? `${location.fileName}: ${location.path}: ${detail}` : `${location.fileName}: ${detail}`,
    );
    this.name = 'TemplateError';
    this.fileName = location.fileName;
    this.path = location.path;
    this.line = location.line;
  }

  /** The logical id of the resource the path points into, if any. */
  get logicalId(): string | undefined {
    const match = /^(?:Resources)\.([^.[]+)/.exec(this.path);
    return match?.[1];
  }
}
