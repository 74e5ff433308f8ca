// Environment every unit-tested function reads at cold start (set before any handler is imported).
// Values are placeholders: aws-sdk-client-mock intercepts every call, nothing reaches AWS.
Object.assign(process.env, {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDUNITTEST',
  AWS_SECRET_ACCESS_KEY: 'unit-test-secret',
  POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'SILENT',
  POWERTOOLS_SERVICE_NAME: 'happy-path-tests',
  TABLE_NAME: 'app-table',
  UPLOAD_BUCKET: 'upload-bucket',
  DISTRIBUTION_BUCKET: 'distribution-bucket',
  EVENT_BUS_NAME: 'app-bus',
  PHOTO_BASE_URL: 'https://photos.example.com',
  MAX_UPLOAD_BYTES: '10485760',
  UPLOAD_TICKET_TTL_SECONDS: '300',
});
