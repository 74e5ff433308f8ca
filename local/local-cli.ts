/**
 * `npm run local -- <command>`: looks into the data of the offline runtime without starting it.
 *   executions [id]   lists executions, or shows one with its path through the states
 *   events            lists the events the application bus accepted
 *   dead-letters      lists the events EventBridge gave up delivering (targets' dead-letter queues)
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { existingDirectory, parseCommandLine, runCommand, UsageError } from './cli-args';
import { DeadLetterQueue } from './eventbridge/dead-letter-queue';
import { EventArchive } from './eventbridge/event-archive';
import {
  findExecution,
  formatExecution,
  formatExecutionList,
  readExecutions,
} from './runtime/execution-report';

const USAGE = `Usage: npm run local -- <command> [--data-dir DIR]   (DIR: the data directory of npm start, default .local)
  executions        list executions, newest first
  executions ID     show one execution (name, ARN or a prefix of the name) with its path through the states
  events            list the events every bus accepted, oldest first
  dead-letters      list the events rule targets' dead-letter queues received, oldest first`;

function listEvents(dataDir: string): string {
  const directory = join(dataDir, 'events');
  let files: string[] = [];
  try {
    files = readdirSync(directory).filter((file) => file.endsWith('.jsonl'));
  } catch {
    return 'No events yet.';
  }
  const lines = files.flatMap((file) =>
    new EventArchive(dataDir, decodeURIComponent(file.slice(0, -'.jsonl'.length)))
      .list()
      .map(
        ({ ingestionTime, event }) =>
          `${ingestionTime}  ${file.slice(0, -'.jsonl'.length)}  ${event.source}  ${event['detail-type']}  ${event.id}`,
      ),
  );
  return lines.length === 0 ? 'No events yet.' : lines.sort().join('\n');
}

function listDeadLetters(dataDir: string): string {
  let files: string[] = [];
  try {
    files = readdirSync(join(dataDir, 'dead-letters')).filter((file) => file.endsWith('.jsonl'));
  } catch {
    return 'No dead letters.';
  }
  const lines = files.flatMap((file) => {
    const queue = decodeURIComponent(file.slice(0, -'.jsonl'.length));
    return new DeadLetterQueue(dataDir, queue)
      .list()
      .map(
        ({ sentTime, body, attributes }) =>
          `${sentTime}  ${queue}  ${body.source}  ${body['detail-type']}  ${body.id}  ${attributes.TARGET_ARN}: ${attributes.ERROR_CODE}: ${attributes.ERROR_MESSAGE}`,
      );
  });
  return lines.length === 0 ? 'No dead letters.' : lines.sort().join('\n');
}

function main(): undefined {
  const { values, positionals } = parseCommandLine({
    usage: USAGE,
    options: { 'data-dir': { type: 'string', default: '.local' } },
    positionals: { min: 1, max: 2, names: 'command' },
  });
  const [command = '', id] = positionals;
  const takesId = command === 'executions';
  if (!['executions', 'events', 'dead-letters'].includes(command)) {
    throw new UsageError(`unknown command ${command}\n${USAGE}`);
  }
  if (id !== undefined && !takesId) throw new UsageError(`${command} takes no argument, got ${id}\n${USAGE}`);
  const dataDir = existingDirectory(
    'data-dir',
    resolve(values['data-dir']),
    'the offline runtime creates it on its first `npm start`',
  );
  if (command === 'executions') {
    const records = readExecutions(dataDir);
    console.log(
      id === undefined ? formatExecutionList(records) : formatExecution(findExecution(records, id)),
    );
  } else if (command === 'events') {
    console.log(listEvents(dataDir));
  } else {
    console.log(listDeadLetters(dataDir));
  }
  return undefined;
}

runCommand('npm run local', main);
