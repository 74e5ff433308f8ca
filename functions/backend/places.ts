import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#clients/dynamodb';
import { ConflictError } from '#shared/errors';
import { keys, PHOTO_SK_PREFIX, type PhotoItem, type PlaceItem } from '#shared/model';

export type NewPlace = Pick<PlaceItem, 'placeId' | 'name' | 'type' | 'lat' | 'lng' | 'vicinity'>;

/** Stores a new place; a place id that exists already is a ConflictError. */
export async function createPlace(tableName: string, place: NewPlace, now = new Date()): Promise<PlaceItem> {
  const item: PlaceItem = {
    ...keys.place(place.placeId),
    entity: 'place',
    ...place,
    createdAt: now.toISOString(),
  };
  try {
    await dynamo.send(
      new PutCommand({ TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
    );
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw new ConflictError(`Place ${place.placeId} already exists`);
    }
    throw error;
  }
  return item;
}

/** A place, read consistently: a ticket asked for right after creating the place finds it. */
export async function getPlace(tableName: string, placeId: string): Promise<PlaceItem | undefined> {
  const result = await dynamo.send(
    new GetCommand({ TableName: tableName, Key: keys.place(placeId), ConsistentRead: true }),
  );
  return result.Item as PlaceItem | undefined;
}

export interface PlacePage {
  place: PlaceItem;
  photos: PhotoItem[];
  /** Opaque cursor for the next page of photos; absent on the last page. */
  nextToken?: string;
}

/**
 * A place and a page of its photos, newest first (upload ids are time-ordered UUIDv7), or
 * undefined when the place does not exist. `after` is the last upload id of the previous page.
 */
export async function getPlaceWithPhotos(
  tableName: string,
  placeId: string,
  page: { limit: number; after?: string },
): Promise<PlacePage | undefined> {
  const place = await getPlace(tableName, placeId);
  if (!place) return undefined;
  const result = await dynamo.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :photo)',
      ExpressionAttributeValues: { ':pk': place.pk, ':photo': PHOTO_SK_PREFIX },
      ScanIndexForward: false,
      Limit: page.limit,
      ...(page.after ? { ExclusiveStartKey: keys.photo(placeId, page.after) } : {}),
    }),
  );
  const photos = (result.Items ?? []) as PhotoItem[];
  const last = result.LastEvaluatedKey ? photos.at(-1) : undefined;
  return { place, photos, ...(last ? { nextToken: last.uploadId } : {}) };
}
