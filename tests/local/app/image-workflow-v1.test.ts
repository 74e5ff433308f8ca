import { describeImageWorkflowEndToEnd } from './end-to-end';

describeImageWorkflowEndToEnd('v1');
