/**
 * The SAM policy templates this project uses, reduced to what the template rules need: the
 * actions each grants and which of its parameters names the resource. From the SAM policy
 * template list (docs: "AWS SAM policy template list"); add an entry before using a new one.
 */
export interface PolicyTemplateGrant {
  actions: readonly string[];
  /** The template parameter naming the resource; undefined when the grant is on `*`. */
  resourceParameter?: string;
}

export const POLICY_TEMPLATES: Readonly<Record<string, readonly PolicyTemplateGrant[]>> = {
  DynamoDBReadPolicy: [
    {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:Scan',
        'dynamodb:Query',
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeTable',
      ],
      resourceParameter: 'TableName',
    },
  ],
  DynamoDBWritePolicy: [
    {
      actions: ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
      resourceParameter: 'TableName',
    },
  ],
  DynamoDBCrudPolicy: [
    {
      actions: [
        'dynamodb:GetItem',
        'dynamodb:DeleteItem',
        'dynamodb:PutItem',
        'dynamodb:Scan',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:BatchGetItem',
        'dynamodb:DescribeTable',
        'dynamodb:ConditionCheckItem',
      ],
      resourceParameter: 'TableName',
    },
  ],
  S3ReadPolicy: [
    {
      actions: [
        's3:GetObject',
        's3:ListBucket',
        's3:GetBucketLocation',
        's3:GetObjectVersion',
        's3:GetLifecycleConfiguration',
      ],
      resourceParameter: 'BucketName',
    },
  ],
  EventBridgePutEventsPolicy: [{ actions: ['events:PutEvents'], resourceParameter: 'EventBusName' }],
  LambdaInvokePolicy: [{ actions: ['lambda:InvokeFunction'], resourceParameter: 'FunctionName' }],
  StepFunctionsExecutionPolicy: [
    { actions: ['states:StartExecution'], resourceParameter: 'StateMachineName' },
  ],
  SNSPublishMessagePolicy: [{ actions: ['sns:Publish'], resourceParameter: 'TopicName' }],
  RekognitionDetectOnlyPolicy: [
    {
      actions: [
        'rekognition:DetectFaces',
        'rekognition:DetectLabels',
        'rekognition:DetectModerationLabels',
        'rekognition:DetectText',
      ],
    },
  ],
  AWSSecretsManagerGetSecretValuePolicy: [
    { actions: ['secretsmanager:GetSecretValue'], resourceParameter: 'SecretArn' },
  ],
  SSMParameterReadPolicy: [
    {
      actions: ['ssm:DescribeParameters', 'ssm:GetParameters', 'ssm:GetParameter', 'ssm:GetParametersByPath'],
      resourceParameter: 'ParameterName',
    },
  ],
};

/** Actions AWS does not let a policy scope to a resource: `Resource: '*'` is the only choice. */
/** Actions whose target is named by a task token, not by a resource the function's code knows. */
export const TOKEN_ADDRESSED_ACTIONS: readonly string[] = [
  'states:SendTaskSuccess',
  'states:SendTaskFailure',
  'states:SendTaskHeartbeat',
];

export const ACTIONS_WITHOUT_RESOURCES: readonly string[] = [
  'rekognition:DetectLabels',
  'rekognition:DetectModerationLabels',
  'rekognition:DetectFaces',
  'rekognition:DetectText',
  'xray:PutTraceSegments',
  'xray:PutTelemetryRecords',
  'xray:GetSamplingRules',
  'xray:GetSamplingTargets',
  // Step Functions log delivery to CloudWatch Logs (documented as Resource "*").
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:UpdateLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:ListLogDeliveries',
  'logs:PutResourcePolicy',
  'logs:DescribeResourcePolicies',
  'logs:DescribeLogGroups',
  'cloudwatch:PutMetricData',
];
