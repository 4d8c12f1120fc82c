import { EventEmitter } from 'node:events';
import type { Logger } from '../infra/observability/logger';
import type { Consumer, MessageBus } from '../infra/ports/message-bus';
import type { ReadStore } from '../infra/ports/read-store';
import { collectionName, type Projection } from './projection';
import { ProjectionWorker, type WorkerStatus } from './worker';

export interface ProjectionRunnerOptions {
  readonly bus: MessageBus;
  readonly readStore: ReadStore;
  readonly logger: Logger;
  readonly projections: readonly Projection<unknown>[];
  readonly maxBatch?: number;
  /** consumer group prefix; projector instances sharing it share the work (Kafka) */
  readonly groupPrefix?: string;
}

/**
 * Runs every projection as its own consumer group on the bus, so one slow read model never holds back another,
 * and tells waiters (read-your-writes) when a projection passes a global position.
 */
export class ProjectionRunner {
  private readonly workers = new Map<string, ProjectionWorker<unknown>>();
  private readonly consumers: Consumer[] = [];
  private readonly progress = new EventEmitter();

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.progress.setMaxListeners(0);
    for (const projection of options.projections) {
      this.workers.set(
        projection.name,
        new ProjectionWorker(projection, options.readStore, collectionName(projection)),
      );
    }
  }

  async start(): Promise<void> {
    for (const [name, worker] of this.workers) {
      await worker.init();
      const consumer = await this.options.bus.consume(
        {
          group: `${this.options.groupPrefix ?? 'projection'}:${name}`,
          ...(this.options.maxBatch ? { maxBatch: this.options.maxBatch } : {}),
        },
        async (batch) => {
          await worker.handle(batch);
          this.progress.emit('position', name, worker.current.position);
        },
      );
      consumer.done.catch((error: unknown) => {
        this.options.logger.error({ err: error, projection: name }, 'projection stopped on an error');
      });
      this.consumers.push(consumer);
    }
  }

  /** resolves once every projection delivered the history that existed at start */
  async caughtUp(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.caughtUp));
  }

  statuses(): readonly WorkerStatus[] {
    return [...this.workers.values()].map((w) => w.current);
  }

  status(name: string): WorkerStatus | undefined {
    return this.workers.get(name)?.current;
  }

  /** true once projection `name` applied every event up to `position` (false on timeout) */
  async waitFor(name: string, position: number, timeoutMs: number): Promise<boolean> {
    const reached = (): boolean => (this.workers.get(name)?.current.position ?? 0) >= position;
    if (reached()) return true;
    return new Promise((resolve) => {
      const onProgress = (projection: string): void => {
        if (projection === name && reached()) finish(true);
      };
      const timer = setTimeout(() => {
        finish(reached());
      }, timeoutMs);
      const finish = (result: boolean): void => {
        clearTimeout(timer);
        this.progress.off('position', onProgress);
        resolve(result);
      };
      this.progress.on('position', onProgress);
    });
  }

  async stop(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
    this.consumers.length = 0;
  }
}
