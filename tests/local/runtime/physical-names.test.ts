import { join } from 'node:path';
import { loadProject } from '../../../local/template';

const root = join(__dirname, '..', '..', '..');

describe('physical names of the project stacks', () => {
  const { stacks } = loadProject({
    templatesDir: join(root, 'templates'),
    samConfigPath: join(root, 'samconfig.toml'),
    stacks: [
      { configEnv: 'layers' },
      { configEnv: 'backend' },
      { configEnv: 'workflow-v4' },
      { configEnv: 'gdpr' },
    ],
    region: 'us-east-1',
    accountId: '000000000000',
  });
  const physicalId = (stackName: string, logicalId: string) =>
    String(stacks.find((stack) => stack.stackName === stackName)?.resources[logicalId]?.physicalId);

  it('names SAM state machines by their Name property, as CloudFormation does, not with a random suffix', () => {
    expect(physicalId('happy-path-gdpr', 'ErasureWorkflow')).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:happy-path-gdpr-erasure',
    );
    expect(physicalId('happy-path-workflow', 'ImageWorkflow')).toBe(
      'arn:aws:states:us-east-1:000000000000:stateMachine:happy-path-workflow-v4',
    );
  });
});
