import type { PhotoItem, PlaceItem, PublishedImages, UploadItem } from '#shared/model';

/**
 * What the API shows of stored items. Uploader ids are never exposed on public place pages;
 * image keys become URLs under the CloudFront distribution.
 */

function imageUrls(baseUrl: string, images: PublishedImages) {
  return { tileUrl: `${baseUrl}/${images.tileKey}`, scaledUrl: `${baseUrl}/${images.scaledKey}` };
}

export function presentPlace(place: PlaceItem) {
  return {
    placeId: place.placeId,
    name: place.name,
    type: place.type,
    lat: place.lat,
    lng: place.lng,
    ...(place.vicinity !== undefined ? { vicinity: place.vicinity } : {}),
    createdAt: place.createdAt,
  };
}

export function presentPhoto(baseUrl: string, photo: PhotoItem) {
  return {
    uploadId: photo.uploadId,
    ...imageUrls(baseUrl, photo),
    width: photo.width,
    height: photo.height,
    createdAt: photo.createdAt,
  };
}

export function presentUpload(baseUrl: string, upload: UploadItem) {
  return {
    uploadId: upload.uploadId,
    placeId: upload.placeId,
    status: upload.status,
    ...(upload.reason ? { reason: upload.reason } : {}),
    ...(upload.detail ? { detail: upload.detail } : {}),
    ...(upload.images ? imageUrls(baseUrl, upload.images) : {}),
    createdAt: upload.createdAt,
    updatedAt: upload.updatedAt,
  };
}
