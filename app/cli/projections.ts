import { allReadModels, type AnyProjection } from '../../projections';
import {
  RebuildError,
  dropOld,
  rebuildProjection,
  resetProjection,
  type RebuildMode,
  type RebuildOptions,
  type RebuildProgress,
  type RebuildResult,
} from '../../projections/rebuild';
import { readEntry, rebuildDue, type RegistryEntry } from '../../projections/registry';
import { PROGRESS_COLLECTION, type SourceProgress } from '../../projections/worker';
import type { Config } from '../config';
import type { Logger } from '../../ports/logger';
import type { EventStore } from '../../ports/event-store';
import type { ReadStore } from '../../ports/read-store';
import { openEventStore } from '../runtime/event-store';
import { openReadStore } from '../runtime/read-store';
import { openSqliteLogReader } from '../../infra/sqlite/sqlite-log-reader';
import { PgEventStore } from '../../infra/postgres/pg-event-store';

export const projectionsUsage = `Usage: commerce projections <command> [options]

Read models: list them, rebuild them blue/green while the live version keeps serving, reset them in place.

Commands:
  list [--json]
      every projection: code version, live collection and version, position, lag, documents, state
  rebuild <name>|--all [--from <position>] [--verify] [--force] [--threshold <events>] [--batch <events>]
          [--projectors-stopped] [--json]
      replay the event store into a new collection, switch reads when it is fewer than --threshold events
      (default 100) behind the head; resumes from its checkpoint when run again after a stop.
      --verify compares new and live documents and refuses to switch on differences unless --force.
      BUS=kafka: stop every projector first and pass --projectors-stopped, or the rebuild stops before the switch.
  reset <name> --yes [--json]
      drop the live collection and refold it in place (downtime: stop the workers first)
  drop-old <name> [--json]
      drop the collections earlier rebuilds switched away from
Options:
  --json      machine-readable output on stdout
  --help      show this help

Exit codes: 0 done; 1 failed (verification found differences, or an error; the reason is printed);
2 bad usage or configuration; 3 the rebuild is ready but waits for --projectors-stopped (BUS=kafka).
`;

export interface ProjectionsCliIo {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  /** draw a progress bar in place (default: whether stderr is a terminal) */
  readonly isTTY?: boolean;
  /** the projections the code defines (tests pass a changed one) */
  readonly projections?: readonly AnyProjection[];
  readonly signal?: AbortSignal;
  readonly afterBatch?: RebuildOptions['afterBatch'];
  readonly handoverTimeoutMs?: number;
  readonly now?: () => number;
  /** stores to use instead of opening them from the configuration (tests); they are not closed */
  readonly stores?: { readonly eventStore: EventStore; readonly readStore: ReadStore };
}

class UsageError extends Error {}

type Parsed =
  | { readonly command: 'help' }
  | { readonly command: 'list'; readonly json: boolean }
  | {
      readonly command: 'rebuild';
      readonly json: boolean;
      readonly names: readonly string[] | 'all';
      readonly from?: number;
      readonly verify: boolean;
      readonly force: boolean;
      readonly threshold?: number;
      readonly batch?: number;
      readonly projectorsStopped: boolean;
    }
  | { readonly command: 'reset'; readonly json: boolean; readonly name: string; readonly yes: boolean }
  | { readonly command: 'drop-old'; readonly json: boolean; readonly name: string };

const FLAGS: Readonly<Record<string, readonly string[]>> = {
  list: ['--json'],
  rebuild: ['--json', '--all', '--verify', '--force', '--projectors-stopped'],
  reset: ['--json', '--yes'],
  'drop-old': ['--json'],
};
const VALUED: Readonly<Record<string, readonly string[]>> = {
  rebuild: ['--from', '--threshold', '--batch'],
};

const parse = (argv: readonly string[]): Parsed => {
  if (argv.includes('--help') || argv.includes('-h')) return { command: 'help' };
  const [command, ...args] = argv;
  if (command === undefined) throw new UsageError('a command is required (list, rebuild, reset or drop-old)');
  const flags = FLAGS[command];
  if (flags === undefined) throw new UsageError(`unknown command "${command}"`);
  const valued = VALUED[command] ?? [];
  const positional: string[] = [];
  const values = new Map<string, string>();
  const set = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] ?? '';
    if (valued.includes(arg)) {
      const value = args[i + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`${arg} needs a value`);
      values.set(arg, value);
      i++;
    } else if (flags.includes(arg)) set.add(arg);
    else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg} for ${command}`);
    else positional.push(arg);
  }
  const wholeNumber = (name: string, min: number): number | undefined => {
    const raw = values.get(name);
    if (raw === undefined) return undefined;
    if (!/^\d{1,15}$/.test(raw) || Number(raw) < min) throw new UsageError(`${name} must be a whole number ≥ ${min}`);
    return Number(raw);
  };
  const json = set.has('--json');
  const oneName = (): string => {
    const [name, ...more] = positional;
    if (name === undefined || more.length > 0) throw new UsageError(`${command} takes exactly one projection name`);
    return name;
  };
  switch (command) {
    case 'list':
      if (positional.length > 0) throw new UsageError('list takes no arguments');
      return { command, json };
    case 'rebuild': {
      const all = set.has('--all');
      if (all === positional.length > 0) throw new UsageError('rebuild takes one projection name or --all');
      const from = wholeNumber('--from', 0);
      const threshold = wholeNumber('--threshold', 1);
      const batch = wholeNumber('--batch', 1);
      if (all && from !== undefined) throw new UsageError('--from applies to one projection, not --all');
      return {
        command,
        json,
        names: all ? 'all' : [oneName()],
        verify: set.has('--verify'),
        force: set.has('--force'),
        projectorsStopped: set.has('--projectors-stopped'),
        ...(from === undefined ? {} : { from }),
        ...(threshold === undefined ? {} : { threshold }),
        ...(batch === undefined ? {} : { batch }),
      };
    }
    case 'reset':
      return { command, json, name: oneName(), yes: set.has('--yes') };
    default:
      return { command: 'drop-old', json, name: oneName() };
  }
};

const formatDuration = (seconds: number | undefined): string => {
  if (seconds === undefined || !Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
};

const count = (n: number): string => Math.round(n).toLocaleString('en-US');

const progressLine = (p: RebuildProgress, bar: boolean): string => {
  const done = Math.min(p.events, p.total);
  const ratio = p.total > 0 ? done / p.total : 1;
  const width = 24;
  const filled = Math.round(ratio * width);
  const meter = bar ? `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ` : '';
  return (
    `${p.name} → ${p.target} ${p.phase} ${meter}${Math.floor(ratio * 100)}% ` +
    `${count(done)}/${count(p.total)} events ${count(p.eventsPerSecond)} ev/s ETA ${formatDuration(p.etaSeconds)}`
  );
};

/** A progress reporter: redrawn in place on a terminal, one plain line every ~2 s otherwise. */
const reporter = (write: (text: string) => void, tty: boolean, now: () => number) => {
  let last = 0;
  let drawn = false;
  return {
    update(p: RebuildProgress): void {
      if (tty) {
        write(`\r\x1b[2K${progressLine(p, true)}`);
        drawn = true;
        return;
      }
      const t = now();
      if (t - last >= 2_000 || p.phase === 'done') {
        last = t;
        write(`${progressLine(p, false)}\n`);
      }
    },
    end(): void {
      if (drawn) write('\n');
      drawn = false;
    },
  };
};

interface ListItem {
  readonly name: string;
  readonly codeVersion: number;
  readonly collection: string;
  readonly liveVersion: number;
  readonly position: number;
  readonly lag: number;
  readonly documents: number;
  readonly state: string;
  readonly rebuildDue: boolean;
  readonly rebuilding?: {
    readonly target: string;
    readonly state: string;
    readonly position: number;
    readonly percent: number;
  };
  readonly old: readonly string[];
}

/** Where the live collection's workers are: the `$all` source when embedded, else the least advanced partition. */
const livePosition = async (store: ReadStore, entry: RegistryEntry): Promise<number> => {
  const prefix = `${entry.live.collection}@`;
  const page = await store.query(PROGRESS_COLLECTION, { where: { projection: entry.name }, limit: 1_000 });
  const positions = page.items
    .filter((d) => d.id.startsWith(prefix))
    .map((d) => (d.body as unknown as SourceProgress).position)
    .filter((p) => typeof p === 'number');
  const all = page.items.find((d) => d.id === `${prefix}$all`);
  if (all !== undefined) return (all.body as unknown as SourceProgress).position;
  const fallback = entry.live.builtThrough ?? entry.live.rebuiltThrough ?? 0;
  return positions.length === 0 ? fallback : Math.max(fallback, Math.min(...positions));
};

const listItems = async (
  eventStore: EventStore,
  readStore: ReadStore,
  projections: readonly AnyProjection[],
): Promise<{ head: number; items: ListItem[] }> => {
  const head = await eventStore.headPosition();
  const items: ListItem[] = [];
  for (const projection of projections) {
    const { entry } = await readEntry(readStore, projection);
    const position = await livePosition(readStore, entry);
    const due = rebuildDue(projection, entry);
    const rebuild = entry.rebuild;
    const percent = rebuild ? (head > 0 ? Math.min(100, Math.floor((rebuild.position / head) * 100)) : 100) : 0;
    items.push({
      name: projection.name,
      codeVersion: projection.version,
      collection: entry.live.collection,
      liveVersion: entry.live.version,
      position,
      lag: Math.max(0, head - position),
      documents: await readStore.count(entry.live.collection),
      state: rebuild
        ? rebuild.state === 'switched'
          ? 'handing over'
          : `rebuilding ${percent}%`
        : due
          ? 'rebuild due'
          : 'live',
      rebuildDue: due,
      ...(rebuild
        ? { rebuilding: { target: rebuild.target, state: rebuild.state, position: rebuild.position, percent } }
        : {}),
      old: entry.old,
    });
  }
  return { head, items };
};

const table = (header: readonly string[], rows: readonly (readonly string[])[]): string => {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `${cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()}\n`;
  return line(header) + rows.map(line).join('');
};

const describeResult = (r: RebuildResult): string => {
  const verification = r.verification
    ? `; verified ${count(r.verification.compared)} documents${r.verification.sampled ? ' (sample)' : ''}, ` +
      `${r.verification.differenceCount} differences, ${r.verification.unsettled} unsettled`
    : '';
  const start = r.resumed ? `resumed from ${count(r.startedFrom)}` : 'from the start';
  return (
    `${r.name}: ${r.outcome} ${r.target} at position ${count(r.position)} (${start}; ${count(r.events)} events in ` +
    `${formatDuration(r.elapsedMs / 1000)}, ${count(r.eventsPerSecond)} ev/s${verification})\n`
  );
};

/**
 * `commerce projections list|rebuild|reset|drop-old`. Only projections are replayed: sagas and the relay never see
 * these events again, so no side effect runs twice.
 */
export const runProjectionsCli = async (
  argv: readonly string[],
  config: Config,
  logger: Logger,
  io: ProjectionsCliIo = {},
): Promise<number> => {
  const out = io.stdout ?? ((text: string) => process.stdout.write(text));
  const err = io.stderr ?? ((text: string) => process.stderr.write(text));
  const now = io.now ?? Date.now;
  const projections = io.projections ?? allReadModels;
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`commerce projections: ${error.message} (see commerce projections --help)\n`);
    return 2;
  }
  if (parsed.command === 'help') {
    out(projectionsUsage);
    return 0;
  }
  const find = (name: string): AnyProjection | undefined => projections.find((p) => p.name === name);
  const wanted =
    'name' in parsed ? [parsed.name] : parsed.command === 'rebuild' && parsed.names !== 'all' ? parsed.names : [];
  const unknown = wanted.filter((n) => find(n) === undefined);
  if (unknown.length > 0) {
    err(
      `commerce projections: unknown projection ${unknown.join(', ')} (known: ${projections.map((p) => p.name).join(', ')})\n`,
    );
    return 2;
  }
  if (parsed.command === 'reset' && !parsed.yes) {
    err(
      `commerce projections: reset drops ${parsed.name} and refolds it in place, with downtime; stop the workers ` +
        '(serve / projector) first, then run it again with --yes\n',
    );
    return 2;
  }

  const stores = io.stores ?? {
    eventStore: await openEventStore(config, logger),
    readStore: await openReadStore(config, logger),
  };
  const { eventStore, readStore } = stores;
  // SQLite: read the wanted event types on a read-only connection of its own, skipping the others before parsing
  const sqliteReader =
    io.stores === undefined && config.eventStore === 'sqlite' && config.sqlitePath !== ':memory:'
      ? openSqliteLogReader({ path: config.sqlitePath })
      : undefined;
  // PostgreSQL: the same, filtered by the server
  const logReader =
    sqliteReader !== undefined
      ? { logReader: sqliteReader }
      : eventStore instanceof PgEventStore
        ? { logReader: eventStore.logReader() }
        : {};
  const mode: RebuildMode = config.bus === 'kafka' ? 'kafka' : 'embedded';
  try {
    switch (parsed.command) {
      case 'list': {
        const { head, items } = await listItems(eventStore, readStore, projections);
        if (parsed.json) out(`${JSON.stringify({ head, projections: items })}\n`);
        else {
          out(
            table(
              ['PROJECTION', 'CODE', 'LIVE', 'POSITION', 'LAG', 'DOCUMENTS', 'STATE'],
              items.map((i) => [
                i.name,
                `v${i.codeVersion}`,
                `${i.collection} (v${i.liveVersion})`,
                String(i.position),
                String(i.lag),
                String(i.documents),
                i.state,
              ]),
            ),
          );
        }
        return 0;
      }
      case 'rebuild': {
        const targets = parsed.names === 'all' ? projections : parsed.names.flatMap((n) => find(n) ?? []);
        const results: RebuildResult[] = [];
        let code = 0;
        for (const projection of targets) {
          const progress = reporter(err, io.isTTY ?? process.stderr.isTTY, now);
          const result = await rebuildProjection({
            eventStore,
            ...logReader,
            readStore,
            projection,
            mode,
            verify: parsed.verify,
            force: parsed.force,
            projectorsStopped: parsed.projectorsStopped,
            onProgress: (p) => {
              if (!parsed.json) progress.update(p);
            },
            ...(parsed.from === undefined ? {} : { from: parsed.from }),
            ...(parsed.threshold === undefined ? {} : { threshold: parsed.threshold }),
            ...(parsed.batch === undefined ? {} : { batchSize: parsed.batch }),
            ...(io.signal ? { signal: io.signal } : {}),
            ...(io.afterBatch ? { afterBatch: io.afterBatch } : {}),
            ...(io.handoverTimeoutMs === undefined ? {} : { handoverTimeoutMs: io.handoverTimeoutMs }),
            ...(io.now ? { now: io.now } : {}),
          });
          progress.end();
          results.push(result);
          if (!parsed.json) out(describeResult(result));
          if (result.outcome === 'verify-failed') {
            const first = result.verification?.differences[0];
            const example = first
              ? ` (first: ${first.id} ${first.kind}${first.path ? ` at ${first.path}: ${JSON.stringify(first.old)} → ${JSON.stringify(first.new)}` : ''})`
              : '';
            err(
              `commerce projections: ${projection.name}: verification found ${result.verification?.differenceCount ?? 0} ` +
                `differences${example}; not switched (--force switches anyway)\n`,
            );
            code = 1;
            break;
          }
          if (result.outcome === 'needs-projectors-stopped') {
            err(
              `commerce projections: ${projection.name}: ${result.target} is built to ${result.position}; stop every ` +
                'projector, then run the same command with --projectors-stopped to switch (BUS=kafka)\n',
            );
            code = 3;
            break;
          }
          if (result.outcome === 'aborted') {
            err(`commerce projections: ${projection.name}: stopped at ${result.position}; run it again to resume\n`);
            code = 1;
            break;
          }
        }
        if (parsed.json) out(`${JSON.stringify({ results })}\n`);
        return code;
      }
      case 'reset': {
        const projection = find(parsed.name);
        if (projection === undefined) return 2;
        const progress = reporter(err, io.isTTY ?? process.stderr.isTTY, now);
        const result = await resetProjection({
          eventStore,
          ...logReader,
          readStore,
          projection,
          mode,
          onProgress: (p) => {
            if (!parsed.json) progress.update(p);
          },
          ...(io.now ? { now: io.now } : {}),
        });
        progress.end();
        out(parsed.json ? `${JSON.stringify(result)}\n` : describeResult(result));
        return 0;
      }
      case 'drop-old': {
        const projection = find(parsed.name);
        if (projection === undefined) return 2;
        const dropped = await dropOld(readStore, projection);
        out(
          parsed.json
            ? `${JSON.stringify({ name: projection.name, dropped })}\n`
            : `${projection.name}: ${dropped.length === 0 ? 'nothing to drop' : `dropped ${dropped.join(', ')}`}\n`,
        );
        return 0;
      }
    }
  } catch (error) {
    if (!(error instanceof RebuildError)) logger.error({ err: error }, 'projections command failed');
    err(`commerce projections: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    sqliteReader?.close();
    if (io.stores === undefined) {
      await readStore.close();
      await eventStore.close();
    }
  }
};
