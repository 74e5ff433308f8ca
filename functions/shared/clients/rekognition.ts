import { RekognitionClient } from '@aws-sdk/client-rekognition';
import { tracer } from '#shared/tracer';

/** Rekognition client; endpoint overridable through AWS_ENDPOINT_URL_REKOGNITION. */
export const rekognition = tracer.captureAWSv3Client(new RekognitionClient({}));
