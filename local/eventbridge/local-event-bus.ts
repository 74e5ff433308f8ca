import { DeadLetterQueue } from './dead-letter-queue';
import { deliverWithRetries } from './deliver-with-retries';
import { type ArchivedEvent, EventArchive } from './event-archive';
import { matchesEventPattern } from './match-event-pattern';
import {
  checkEntry,
  checkEntryCount,
  type PutEventsRequestEntry,
  type PutEventsResponse,
  type PutEventsResultEntry,
  toEvent,
} from './put-events';
import { transformInput, validateTargetInput } from './transform-input';
import type { EventBridgeEvent, JsonObject, RuleTarget } from './types';
import { validateEventPattern } from './validate-event-pattern';

export type RuleState = 'ENABLED' | 'DISABLED';

type DeadLetterExhaustion = 'MaximumRetryAttemptsExhausted' | 'MaximumEventAgeExhausted';

export interface RuleDefinition {
  name: string;
  /** The pattern as an object or as JSON text; validated on put. */
  eventPattern: unknown;
  /** Defaults to ENABLED. */
  state?: RuleState;
  targets: RuleTarget[];
}

export interface Rule {
  name: string;
  arn: string;
  eventPattern: JsonObject;
  state: RuleState;
  targets: RuleTarget[];
}

export interface DeliveryContext {
  ruleName: string;
  targetId: string;
  event: EventBridgeEvent;
}

/** Sends a target its input (text, usually JSON); a rejected promise or a throw counts as a failed attempt. */
export type DeliverToTarget = (
  targetArn: string,
  input: string,
  context: DeliveryContext,
) => Promise<unknown> | unknown;

export interface DeliveryFailure extends DeliveryContext {
  busName: string;
  targetArn: string;
  input: string;
  attempts: number;
  error: unknown;
  /** The dead-letter queue the event was sent to, when the target has one. */
  deadLetterQueue?: string;
}

export type EventBusLog = (
  level: 'debug' | 'info' | 'warn',
  message: string,
  fields: Record<string, unknown>,
) => void;

export interface LocalEventBusOptions {
  /** Bus name, e.g. "default" or "photos". */
  name: string;
  /**
   * The archive is written to `<dataDir>/events/<name>.jsonl`, dead-letter queues of targets to
   * `<dataDir>/dead-letters/<queue name>.jsonl`.
   */
  dataDir: string;
  deliver: DeliverToTarget;
  account?: string;
  region?: string;
  /** Retries when a target has no RetryPolicy (AWS uses 185; locally a few are plenty). Default 2. */
  defaultMaximumRetryAttempts?: number;
  /** Delay before the first retry, doubled for each further one. Default 100 ms. */
  retryBaseDelayMs?: number;
  /** Called once per delivery that failed every attempt. */
  onDeliveryFailure?: (failure: DeliveryFailure) => void;
  log?: EventBusLog;
  /** Clock, injectable for tests. */
  now?: () => Date;
}

const DEFAULT_ACCOUNT = '000000000000';
const DEFAULT_REGION = 'us-east-1';

/** One EventBridge event bus: rules with targets, PutEvents, an on-disk archive and replay. */
export class LocalEventBus {
  readonly name: string;
  readonly arn: string;
  private readonly account: string;
  private readonly region: string;
  private readonly rules = new Map<string, Rule>();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly archive: EventArchive;
  private readonly now: () => Date;
  private readonly closing = new AbortController();

  constructor(private readonly options: LocalEventBusOptions) {
    this.name = options.name;
    this.account = options.account ?? DEFAULT_ACCOUNT;
    this.region = options.region ?? DEFAULT_REGION;
    this.arn = `arn:aws:events:${this.region}:${this.account}:event-bus/${this.name}`;
    this.archive = new EventArchive(options.dataDir, options.name);
    this.now = options.now ?? (() => new Date());
  }

  /** Creates or replaces a rule. Throws InvalidEventPatternError or EventBridgeApiError for bad input. */
  putRule(definition: RuleDefinition): Rule {
    const eventPattern = validateEventPattern(definition.eventPattern);
    for (const target of definition.targets) validateTargetInput(target);
    const rule: Rule = {
      name: definition.name,
      arn: this.ruleArn(definition.name),
      eventPattern,
      state: definition.state ?? 'ENABLED',
      targets: definition.targets.map((target) => ({ ...target })),
    };
    this.rules.set(rule.name, rule);
    return rule;
  }

  /** Returns whether a rule by that name existed. */
  removeRule(name: string): boolean {
    return this.rules.delete(name);
  }

  listRules(): Rule[] {
    return [...this.rules.values()];
  }

  /**
   * PutEvents for this bus (each entry's EventBusName is not consulted). Resolves once accepted events
   * are archived; deliveries to matching targets continue in the background (see `drain`).
   */
  async putEvents(entries: PutEventsRequestEntry[]): Promise<PutEventsResponse> {
    checkEntryCount(entries);
    const ingestion = this.now();
    const accepted: ArchivedEvent[] = [];
    const results = entries.map((entry): PutEventsResultEntry => {
      const check = checkEntry(entry);
      if (!check.ok) return check.error;
      const event = toEvent(entry, check.detail, { account: this.account, region: this.region }, ingestion);
      accepted.push({ event, ingestionTime: ingestion.toISOString() });
      return { EventId: event.id };
    });
    this.archive.append(accepted);
    for (const record of accepted) this.dispatch(record);
    return { FailedEntryCount: results.filter((result) => result.ErrorCode).length, Entries: results };
  }

  /** Archived events in arrival order, optionally only those that arrived at or after `since`. */
  listArchivedEvents(since?: Date): ArchivedEvent[] {
    return this.archive.list(since);
  }

  /**
   * Re-delivers archived events (arrived at or after `since`) to the current rules, marked with a
   * `replay-name` as EventBridge replays are. Replayed events are not archived again. Returns how many.
   */
  replayArchive(since?: Date): number {
    const replayName = `local-replay-${this.now().getTime()}`;
    const records = this.archive.list(since);
    for (const record of records) {
      this.dispatch({ ...record, event: { ...record.event, 'replay-name': replayName } });
    }
    return records.length;
  }

  /** Resolves when every delivery in flight, including retries and deliveries started meanwhile, is done. */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Lets attempts in progress finish, then stops: a delivery waiting to retry gives up (logged;
   * the event stays in the archive) rather than holding the process for a RetryPolicy's hours.
   */
  async close(): Promise<void> {
    this.closing.abort();
    await this.drain();
  }

  private ruleArn(ruleName: string): string {
    const busPart = this.name === 'default' ? '' : `${this.name}/`;
    return `arn:aws:events:${this.region}:${this.account}:rule/${busPart}${ruleName}`;
  }

  private dispatch(record: ArchivedEvent): void {
    const matched: string[] = [];
    for (const rule of this.rules.values()) {
      if (rule.state !== 'ENABLED' || !matchesEventPattern(rule.eventPattern, record.event)) continue;
      matched.push(rule.name);
      for (const target of rule.targets) this.track(this.deliverToTarget(rule, target, record));
    }
    this.options.log?.('info', 'Accepted event', {
      bus: this.name,
      source: record.event.source,
      detailType: record.event['detail-type'],
      eventId: record.event.id,
      rules: matched,
    });
  }

  private track(delivery: Promise<void>): void {
    this.inFlight.add(delivery);
    const settle = () => {
      this.inFlight.delete(delivery);
    };
    delivery.then(settle, settle);
  }

  private async deliverToTarget(rule: Rule, target: RuleTarget, record: ArchivedEvent): Promise<void> {
    await Promise.resolve();
    const context: DeliveryContext = { ruleName: rule.name, targetId: target.id, event: record.event };
    let input = '';
    const outcome = await deliverWithRetries(
      async () => {
        input = transformInput(target, record.event, {
          ruleName: rule.name,
          ruleArn: rule.arn,
          ingestionTime: record.ingestionTime,
        });
        await this.options.deliver(target.arn, input, context);
      },
      {
        maximumRetryAttempts:
          target.retryPolicy?.maximumRetryAttempts ?? this.options.defaultMaximumRetryAttempts ?? 2,
        baseDelayMs: this.options.retryBaseDelayMs ?? 100,
        giveUpAt: this.giveUpAt(target, record),
        now: () => this.now().getTime(),
        signal: this.closing.signal,
      },
    );
    const fields = { bus: this.name, rule: rule.name, target: target.id, eventId: record.event.id };
    if (outcome.delivered) {
      this.options.log?.('debug', 'Delivered event to target', { ...fields, attempts: outcome.attempts });
      return;
    }
    if (outcome.exhausted === 'Abandoned') {
      this.options.log?.('warn', 'Abandoned retrying a delivery: the bus closed', {
        ...fields,
        attempts: outcome.attempts,
        error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
      });
      return;
    }
    this.options.log?.('warn', 'Giving up delivering event to target', {
      ...fields,
      attempts: outcome.attempts,
      error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error),
    });
    const deadLetterQueue = target.deadLetterConfig
      ? this.sendToDeadLetterQueue(target, rule, record, { ...outcome, exhausted: outcome.exhausted })
      : undefined;
    this.reportFailure({
      ...context,
      busName: this.name,
      targetArn: target.arn,
      input,
      attempts: outcome.attempts,
      error: outcome.error,
      ...(deadLetterQueue === undefined ? {} : { deadLetterQueue }),
    });
  }

  /** Sends the undelivered event to the target's dead-letter queue; returns the queue name. */
  private sendToDeadLetterQueue(
    target: RuleTarget,
    rule: Rule,
    record: ArchivedEvent,
    outcome: { attempts: number; error: unknown; exhausted: DeadLetterExhaustion },
  ): string | undefined {
    const queue = new DeadLetterQueue(this.options.dataDir, (target.deadLetterConfig as { arn: string }).arn);
    const error = outcome.error as { name?: unknown; message?: unknown } | undefined;
    try {
      queue.send({
        sentTime: this.now().toISOString(),
        body: record.event,
        attributes: {
          RULE_ARN: rule.arn,
          TARGET_ARN: target.arn,
          ERROR_CODE: typeof error?.name === 'string' ? error.name : 'Error',
          ERROR_MESSAGE: typeof error?.message === 'string' ? error.message : String(outcome.error),
          RETRY_ATTEMPTS: outcome.attempts - 1,
          EXHAUSTED_RETRY_CONDITION: outcome.exhausted,
        },
      });
      return queue.name;
    } catch (sendError) {
      this.options.log?.('warn', 'Could not write to the dead-letter queue', {
        queue: queue.name,
        error: sendError instanceof Error ? sendError.message : String(sendError),
      });
      return undefined;
    }
  }

  private giveUpAt(target: RuleTarget, record: ArchivedEvent): number | undefined {
    const maxAgeSeconds = target.retryPolicy?.maximumEventAgeInSeconds;
    return maxAgeSeconds === undefined ? undefined : Date.parse(record.ingestionTime) + maxAgeSeconds * 1000;
  }

  private reportFailure(failure: DeliveryFailure): void {
    try {
      this.options.onDeliveryFailure?.(failure);
    } catch (error) {
      this.options.log?.('warn', 'onDeliveryFailure callback threw', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
