import { fork, type ChildProcess } from 'node:child_process';
import { extname, join } from 'node:path';
import { setPriority } from 'node:os';
import { AggregatorRegistry, type Registry } from 'prom-client';
import type { Logger } from '../../ports/logger';
import type { PositionListener, Unsubscribe } from '../../read-api/live';
import type { ProjectionProgress } from '../../read-api/progress';
import { untilPosition } from '../../projections/runner';

/** A registry's metrics as `getMetricsAsJSON` gives them (plain data: it crosses the IPC pipe). */
export type MetricsJson = Awaited<ReturnType<Registry['getMetricsAsJSON']>>;

/**
 * The pipe between `serve` and each of its worker processes (see split-engine.ts). Messages are few and small: the
 * projections worker reports where its projections are (coalesced per turn of its event loop), every worker answers
 * metrics scrapes; `serve` asks for metrics and tells a worker to stop.
 */
export type FromWorker =
  | { readonly kind: 'ready'; readonly url: string; readonly positions: Readonly<Record<string, number>> }
  | { readonly kind: 'positions'; readonly positions: Readonly<Record<string, number>> }
  /** the sagas worker: the log position its runner has handled everything up to (for the backlog flow control reads) */
  | { readonly kind: 'handled'; readonly position: number }
  | { readonly kind: 'metrics'; readonly id: number; readonly metrics: MetricsJson };

export type ToWorker = { readonly kind: 'metrics'; readonly id: number } | { readonly kind: 'stop' };

/** The subcommand `serve` starts its workers with: `engine-worker <role>`. */
export const WORKER_SUBCOMMAND = 'engine-worker';

/** What a worker runs: the saga runner and its scheduler, or every projection. */
export type WorkerRole = 'sagas' | 'projections';
export const workerRoles: readonly WorkerRole[] = ['sagas', 'projections'];

/**
 * Workers run at a lower priority (a higher nice value) than `serve`: when the cores are busy, commands and reads are
 * answered first and the backlog waits, instead of every request waiting behind saga and projection batches.
 */
const WORKER_NICENESS = 5;

/**
 * Where each projection of the worker is, as the worker last reported it: read-your-writes for the read API (a
 * position is reported only after the read-store transaction holding it committed, so a read that waited for it
 * sees the write) and the live stream's source.
 */
export class WorkerPositions implements ProjectionProgress {
  private readonly known = new Map<string, number>();
  private readonly listeners = new Set<PositionListener>();

  update(positions: Readonly<Record<string, number>>): void {
    for (const [name, position] of Object.entries(positions)) {
      if (position <= (this.known.get(name) ?? -1)) continue;
      this.known.set(name, position);
      for (const listener of this.listeners) listener(name, position);
    }
  }

  position(name: string): Promise<number> {
    return Promise.resolve(this.known.get(name) ?? 0);
  }

  positions(): Promise<Readonly<Record<string, number>>> {
    return Promise.resolve(Object.fromEntries(this.known));
  }

  /** the slowest projection's position; undefined before any was reported */
  lowest(): number | undefined {
    return this.known.size === 0 ? undefined : Math.min(...this.known.values());
  }

  onPosition(listener: PositionListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  waitFor(name: string, position: number, timeoutMs: number): Promise<boolean> {
    return untilPosition(
      (listener) => this.onPosition(listener),
      () => (this.known.get(name) ?? 0) >= position,
      name,
      timeoutMs,
    );
  }
}

export interface WorkerLinkOptions {
  readonly role: WorkerRole;
  readonly logger: Logger;
  /** how long to wait before starting a worker again after it died (default 500 ms) */
  readonly restartDelayMs?: number;
  readonly readyTimeoutMs?: number;
  /** called each time the worker is started again after it died (a metric) */
  readonly onRestart?: () => void;
}

const METRICS_TIMEOUT_MS = 2_000;

/** The CLI entry point next to this file: `.ts` under tsx (tests, dev), `.js` when compiled. */
const cliEntry = (): string => join(__dirname, '..', 'cli', `main${extname(__filename)}`);

/**
 * A worker's old-generation heap, in MiB. Its caches are bounded (log window, aggregates, sagas, documents: 5,000
 * entries each, tens of MiB) and its backlog stays in the log, so a cap only makes V8 collect before it grows:
 * without one, each worker's heap settled near 300 MiB under load because nothing asked it to give memory back; at
 * 256 the sagas worker still peaked at 275 MiB resident in the e2e bench, at 128 at 206 MiB, with no CPU cost
 * measured. `serve` has no cap: any cap on it (160 or 256 MiB) cost it about 10 % more CPU per order in garbage
 * collection at 750 orders/s (0.91 → 1.01 ms), more than the ~80 MiB it saved is worth to a peak day.
 */
const WORKER_HEAP_MIB = 128;

/** node flags for the worker: the parent's, the heap cap, and the TypeScript loader when running from source. */
const workerExecArgv = (): string[] => {
  const flags = [
    ...process.execArgv.filter((flag) => !flag.startsWith('--max-old-space-size')),
    `--max-old-space-size=${WORKER_HEAP_MIB}`,
  ];
  const fromSource = extname(__filename) === '.ts';
  const hasLoader = flags.some((flag) => flag.includes('tsx'));
  return fromSource && !hasLoader ? ['--require', require.resolve('tsx/cjs'), ...flags] : flags;
};

/** This process's metrics and its workers', summed by name and labels (as prom-client's cluster aggregation). */
export const exposition = async (registry: Registry, workers: readonly WorkerLink[]): Promise<string> => {
  const all = await Promise.all([registry.getMetricsAsJSON(), ...workers.map((w) => w.metrics())]);
  return AggregatorRegistry.aggregate(all.filter((m) => m !== undefined)).metrics();
};

/**
 * Runs one worker process and keeps it running: a worker that dies (a crash, SIGKILL, out of memory) is started again
 * after a short pause and resumes from its durable checkpoints, while the command API keeps taking orders. When
 * `serve` itself dies, the worker sees its pipe close and exits at once.
 */
export class WorkerLink {
  readonly positions = new WorkerPositions();
  private child: ChildProcess | undefined;
  private stopping = false;
  private nextId = 1;
  private readonly pending = new Map<number, (metrics: MetricsJson) => void>();
  private workerUrl: string | undefined;
  private handledPosition: number | undefined;

  private constructor(private readonly options: WorkerLinkOptions) {}

  /** Starts the worker and resolves once it runs (its projections and sagas consume). */
  static async start(options: WorkerLinkOptions): Promise<WorkerLink> {
    const link = new WorkerLink(options);
    await link.spawn();
    return link;
  }

  /** The worker's own HTTP address (dead letters are served there), while it runs. */
  get url(): string | undefined {
    return this.workerUrl;
  }

  get role(): WorkerRole {
    return this.options.role;
  }

  /**
   * The log position the worker has handled everything up to: its saga runner's, or its slowest projection's;
   * undefined until it reported one.
   */
  get handled(): number | undefined {
    if (this.options.role === 'sagas') return this.handledPosition;
    return this.positions.lowest();
  }

  /** Asks the worker to stop (it drains for `graceMs`), and waits for it to exit; SIGKILL after that. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) =>
      child.once('exit', () => {
        resolve();
      }),
    );
    this.send({ kind: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs + 5_000);
    await exited;
    clearTimeout(timer);
  }

  private spawn(): Promise<void> {
    const { logger } = this.options;
    const child = fork(cliEntry(), [WORKER_SUBCOMMAND, this.options.role], {
      execArgv: workerExecArgv(),
      serialization: 'advanced',
      stdio: 'inherit',
    });
    this.child = child;
    this.lowerPriority(child);
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timeoutMs = this.options.readyTimeoutMs ?? 60_000;
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGKILL');
        reject(new Error(`the engine worker did not start within ${timeoutMs} ms`));
      }, timeoutMs);
      child.on('message', (message: FromWorker) => {
        switch (message.kind) {
          case 'ready':
            ready = true;
            clearTimeout(timer);
            this.workerUrl = message.url;
            this.positions.update(message.positions);
            logger.info({ pid: child.pid, url: message.url, role: this.role }, `engine worker running (${this.role})`);
            resolve();
            break;
          case 'positions':
            this.positions.update(message.positions);
            break;
          case 'handled':
            this.handledPosition = message.position;
            break;
          case 'metrics':
            this.pending.get(message.id)?.(message.metrics);
            this.pending.delete(message.id);
            break;
        }
      });
      child.once('exit', (code, signal) => {
        if (this.child === child) {
          this.child = undefined;
          this.workerUrl = undefined;
        }
        for (const answer of this.pending.values()) answer([]);
        this.pending.clear();
        if (!ready) {
          clearTimeout(timer);
          reject(new Error(`the engine worker exited before it was ready (code ${code}, signal ${signal})`));
          return;
        }
        if (this.stopping) return;
        const delay = this.options.restartDelayMs ?? 500;
        logger.error({ code, signal, role: this.role, restartInMs: delay }, 'engine worker died; starting it again');
        setTimeout(() => {
          if (this.stopping) return;
          this.options.onRestart?.();
          this.spawn().catch((error: unknown) => {
            logger.error({ err: error }, 'engine worker could not be started again');
          });
        }, delay).unref();
      });
    });
  }

  private lowerPriority(child: ChildProcess): void {
    if (child.pid === undefined) return;
    try {
      setPriority(child.pid, WORKER_NICENESS);
    } catch (error) {
      this.options.logger.warn({ err: error }, 'engine worker: could not lower its priority');
    }
  }

  /** The worker's metrics, or undefined while it does not run or does not answer. */
  metrics(): Promise<MetricsJson | undefined> {
    if (this.child === undefined) return Promise.resolve(undefined);
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve(undefined);
      }, METRICS_TIMEOUT_MS);
      this.pending.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics.length === 0 ? undefined : metrics);
      });
      this.send({ kind: 'metrics', id });
    });
  }

  private send(message: ToWorker): void {
    const child = this.child;
    if (child?.connected === true) child.send(message);
  }
}
