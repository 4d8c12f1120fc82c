import { commandHandlerFor } from '../runtime/api-parts';
import { SagaConfigError, loadSagaSettings, type SagaSettings } from '../../commands/sagas/config';
import {
  DeadLetterError,
  combineRetryers,
  deadLetterJson,
  discardDeadLetter,
  listDeadLetters,
  retryDeadLetter,
  sagaRetryers,
} from '../../commands/sagas/dead-letters';
import { openDeadLetterStore, openSagaStateStore } from '../runtime/saga-stores';
import { retryRunner } from '../../commands/sagas/service';
import { paymentProviderFor } from '../runtime/payment-provider';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import type { PaymentProvider } from '../../ports/payment-provider';
import { systemClock, type Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { openEventStore } from '../runtime/event-store';
import { openReadStore } from '../runtime/read-store';
import { projectionRetryers } from '../dead-letters/retryers';
import { type DeadLetter, type DeadLetterStore } from '../../ports/dead-letters';

export const dlqUsage = `Usage: commerce dlq <command> [options]

Dead letters: inputs the saga runner or a projection could not handle after bounded retries.

Commands:
  list [--consumer <name>] [--limit <n>]   show the dead letters, oldest first
  retry <id>                               handle letter <id> again, then the letters of its key parked behind it
  discard <id>                             drop letter <id> for good
Options:
  --json      machine-readable output
  --help      show this help

Exit codes: 0 done, 1 the operation failed (the reason is printed), 2 bad usage or configuration.

The same operations over HTTP, with an admin key: GET /v1/dead-letters, POST /v1/dead-letters/<id>/retry and
POST /v1/dead-letters/<id>/discard, served by "commerce serve", and in distributed mode by the saga runner (on
its PORT, beside /healthz and /metrics), whose SQLite file holds the letters.
`;

export interface DlqIo {
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly clock?: Clock;
  /** the provider retried saga commands talk to (default: the simulator configured by SIM_*) */
  readonly provider?: PaymentProvider;
}

interface Parsed {
  readonly command: 'list' | 'retry' | 'discard' | 'help';
  readonly id?: number;
  readonly consumer?: string;
  readonly limit?: number;
  readonly json: boolean;
}

class UsageError extends Error {}

const parse = (argv: readonly string[]): Parsed => {
  const json = argv.includes('--json');
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help', json };
  const rest = argv.filter((a) => a !== '--json');
  const [command, ...args] = rest;
  const option = (name: string): string | undefined => {
    const at = args.indexOf(name);
    if (at < 0) return undefined;
    const value = args[at + 1];
    if (value === undefined || value.startsWith('--')) throw new UsageError(`${name} needs a value`);
    return value;
  };
  const wholeNumber = (raw: string | undefined, what: string): number => {
    if (raw === undefined || !/^\d{1,12}$/.test(raw)) throw new UsageError(`${what} must be a whole number`);
    return Number(raw);
  };
  switch (command) {
    case 'list': {
      const known = new Set(['--consumer', '--limit']);
      const unknown = args.filter((a, i) => a.startsWith('--') && !known.has(a) && !known.has(args[i - 1] ?? ''));
      if (unknown.length > 0) throw new UsageError(`unknown option ${unknown.join(', ')}`);
      const consumer = option('--consumer');
      const limit = option('--limit');
      return {
        command,
        json,
        ...(consumer === undefined ? {} : { consumer }),
        ...(limit === undefined ? {} : { limit: wholeNumber(limit, '--limit') }),
      };
    }
    case 'retry':
    case 'discard':
      if (args.length !== 1) throw new UsageError(`${command} takes exactly one dead letter id`);
      return { command, json, id: wholeNumber(args[0], 'the dead letter id') };
    case undefined:
      throw new UsageError('a command is required (list, retry or discard)');
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
};

const oneLine = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const table = (letters: readonly DeadLetter[]): string => {
  if (letters.length === 0) return 'no dead letters\n';
  const rows = letters.map((l) => [
    String(l.id),
    l.consumer,
    l.key,
    `${l.event.type} ${l.event.streamId}${l.event.revision === null ? '' : `@${l.event.revision}`}`,
    String(l.attempts),
    l.lastFailedAt,
    oneLine(l.error, 80),
  ]);
  const header = ['ID', 'CONSUMER', 'KEY', 'EVENT', 'ATTEMPTS', 'LAST FAILURE', 'ERROR'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `${cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
};

/**
 * `commerce dlq list|retry <id>|discard <id>`: the operator's handle on dead letters. Retrying a saga letter runs
 * the saga step (or its outbox) again in this process, against the same event store; commands are idempotent by
 * id, so a letter the engine meanwhile handled changes nothing.
 */
export const runDlq = async (
  argv: readonly string[],
  config: Config,
  logger: Logger,
  io: DlqIo = {},
): Promise<number> => {
  const out = io.stdout ?? ((text: string) => process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => process.stderr.write(text));
  let parsed: Parsed;
  let settings: SagaSettings;
  try {
    parsed = parse(argv);
    settings = loadSagaSettings(io.env ?? process.env, {
      dataDir: config.dataDir,
      inMemory: config.sqlitePath === ':memory:',
    });
  } catch (error) {
    if (error instanceof UsageError || error instanceof SagaConfigError) {
      err(`commerce dlq: ${error.message}\n`);
      if (error instanceof UsageError) err(`run "commerce dlq --help" for usage\n`);
      return 2;
    }
    throw error;
  }
  if (parsed.command === 'help') {
    out(dlqUsage);
    return 0;
  }
  const clock = io.clock ?? systemClock;
  const deadLetters: DeadLetterStore = await openDeadLetterStore(config, settings, clock);
  const opened: { store?: EventStore; readStore?: ReadStore; close: (() => Promise<void>)[] } = { close: [] };
  try {
    switch (parsed.command) {
      case 'list': {
        const letters = await listDeadLetters(deadLetters, {
          ...(parsed.consumer === undefined ? {} : { consumer: parsed.consumer }),
          ...(parsed.limit === undefined ? {} : { limit: parsed.limit }),
        });
        out(parsed.json ? `${JSON.stringify({ deadLetters: letters.map(deadLetterJson) })}\n` : table(letters));
        return 0;
      }
      case 'discard': {
        const letter = await discardDeadLetter(deadLetters, parsed.id ?? -1);
        logger.info({ id: letter.id, consumer: letter.consumer, key: letter.key }, 'dead letter discarded');
        out(parsed.json ? `${JSON.stringify({ discarded: deadLetterJson(letter) })}\n` : `discarded ${letter.id}\n`);
        return 0;
      }
      case 'retry': {
        const store = await openEventStore(config, logger);
        opened.store = store;
        const state = await openSagaStateStore(config, settings);
        opened.close.push(() => state.close());
        const runner = retryRunner({
          store,
          handler: commandHandlerFor(store, clock, undefined, config),
          clock,
          logger,
          settings,
          state,
          deadLetters,
          provider: io.provider ?? paymentProviderFor(settings, settings.paymentProvider.url),
        });
        const readStore = async (): Promise<ReadStore> => {
          opened.readStore ??= await openReadStore(config, logger);
          return opened.readStore;
        };
        const outcome = await retryDeadLetter(
          deadLetters,
          parsed.id ?? -1,
          combineRetryers(sagaRetryers(runner), projectionRetryers(readStore)),
        );
        await runner.stop(0);
        if (parsed.json) out(`${JSON.stringify(outcome)}\n`);
        else if (outcome.retried.length > 0) out(`retried ${outcome.retried.join(', ')}\n`);
        if (outcome.failed) {
          err(`commerce dlq: dead letter ${outcome.failed.id} failed again: ${oneLine(outcome.failed.error, 300)}\n`);
          return 1;
        }
        return 0;
      }
    }
  } catch (error) {
    if (error instanceof DeadLetterError) {
      err(`commerce dlq: ${error.message}\n`);
      return 1;
    }
    throw error;
  } finally {
    await deadLetters.close();
    for (const close of opened.close) await close();
    await opened.readStore?.close();
    await opened.store?.close();
  }
};
