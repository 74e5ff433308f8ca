import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/**
 * The CloudFormation and SAM resource specification, read from the database that
 * `@aws-cdk/aws-service-spec` ships (`db.json.gz`, maintained by the AWS CDK team and rebuilt
 * from the CloudFormation registry schemas and the SAM spec). Only the parts the template
 * checks need are indexed; nothing here is hand-written.
 */
export type SpecType =
  | { readonly type: 'string' | 'number' | 'integer' | 'boolean' | 'json' | 'date-time' | 'null' | 'tag' }
  | { readonly type: 'array' | 'map'; readonly element: SpecType }
  | { readonly type: 'ref'; readonly reference: { readonly $ref: string } }
  | { readonly type: 'union'; readonly types: readonly SpecType[] };

export interface SpecProperty {
  readonly type: SpecType;
  readonly previousTypes?: readonly SpecType[];
  readonly required?: boolean;
}

export interface SpecShape {
  readonly $id: string;
  readonly name: string;
  readonly properties: Readonly<Record<string, SpecProperty>>;
}

export interface SpecResource extends SpecShape {
  readonly cloudFormationType: string;
}

export interface SpecDb {
  /** npm version of @aws-cdk/aws-service-spec the data came from. */
  readonly version: string;
  readonly resourceTypes: readonly string[];
  resource(cloudFormationType: string): SpecResource | undefined;
  typeDefinition(id: string): SpecShape | undefined;
  /** A property type of a resource by its short name, e.g. (`AWS::Events::Rule`, `Target`). */
  resourceTypeDefinition(cloudFormationType: string, name: string): SpecShape | undefined;
}

interface RawDatabase {
  schema: {
    resource: { entities: SpecResource[] };
    typeDefinition: { entities: SpecShape[] };
    usesType: { forward: Record<string, Array<{ $id: string }>> };
  };
}

function isRawDatabase(value: unknown): value is RawDatabase {
  const schema = (value as { schema?: Record<string, { entities?: unknown; forward?: unknown }> } | null)
    ?.schema;
  return (
    Array.isArray(schema?.resource?.entities) &&
    Array.isArray(schema?.typeDefinition?.entities) &&
    typeof schema?.usesType?.forward === 'object'
  );
}

function packageDirectory(): string {
  return dirname(require.resolve('@aws-cdk/aws-service-spec/package.json'));
}

let cached: SpecDb | undefined;

/** Loads and indexes the database once per process (about 0.3 s). */
export function loadSpecDb(): SpecDb {
  if (cached) return cached;
  const directory = packageDirectory();
  const version = (JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as { version: string })
    .version;
  const raw: unknown = JSON.parse(gunzipSync(readFileSync(join(directory, 'db.json.gz'))).toString('utf8'));
  if (!isRawDatabase(raw)) {
    throw new Error(`@aws-cdk/aws-service-spec ${version}: db.json.gz has an unexpected layout`);
  }
  const resources = new Map(raw.schema.resource.entities.map((item) => [item.cloudFormationType, item]));
  const typeDefinitions = new Map(raw.schema.typeDefinition.entities.map((item) => [item.$id, item]));
  const uses = raw.schema.usesType.forward;
  cached = {
    version,
    resourceTypes: [...resources.keys()],
    resource: (type) => resources.get(type),
    typeDefinition: (id) => typeDefinitions.get(id),
    resourceTypeDefinition: (type, name) => {
      const resource = resources.get(type);
      if (!resource) return undefined;
      for (const { $id } of uses[resource.$id] ?? []) {
        const definition = typeDefinitions.get($id);
        if (definition?.name === name) return definition;
      }
      return undefined;
    },
  };
  return cached;
}
