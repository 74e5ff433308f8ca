import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured logger. Its service name comes from POWERTOOLS_SERVICE_NAME (set in each
 * template's Globals); handlers append correlation keys such as the upload id or request id.
 * Never log whole events: they carry user ids and object keys.
 */
export const logger = new Logger();
