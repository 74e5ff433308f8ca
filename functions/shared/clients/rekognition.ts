import { RekognitionClient } from '@aws-sdk/client-rekognition';

/** Rekognition client; endpoint overridable through AWS_ENDPOINT_URL_REKOGNITION. */
export const rekognition = new RekognitionClient({});
