import { SFNClient } from '@aws-sdk/client-sfn';

/** Step Functions client (SendTaskSuccess/Failure); endpoint overridable through AWS_ENDPOINT_URL_SFN. */
export const sfn = new SFNClient({});
