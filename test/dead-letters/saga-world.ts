import * as E from 'fp-ts/Either';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inventoryCentre, orderCentre } from '../../domain/centres';
import { CommandHandler, type CommandContext } from '../../commands/command-handler';
import { loadSagaSettings } from '../../commands/sagas/config';
import { openSqliteSagaStateStore, type SqliteSagaStateStore } from '../../infra/sqlite/sqlite-saga-state-store';
import { startSagaService, type SagaService } from '../../commands/sagas/service';
import type { InventoryCommand } from '../../domain/inventory';
import { paymentToken, type OrderCommand } from '../../domain/order';
import { currency, customerId, money, name, orderId, quantity, reason, sku, timestamp } from '../../domain/shared';
import { EmbeddedBus } from '../../infra/bus/embedded-bus';
import { createLogger } from '../../infra/observability/logger';
import { createMetrics } from '../../infra/observability/metrics';
import type { Metrics } from '../../ports/metrics';
import { SimulatedPaymentProvider } from '../../infra/payments';
import { ManualClock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import { openSqliteDeadLetterStore, type SqliteDeadLetterStore } from '../../infra/sqlite/sqlite-dead-letter-store';
import { openSqliteEventStore, type SqliteEventStore } from '../../infra/sqlite/sqlite-event-store';

/** An event store whose reads of chosen streams fail, as a broken disk page or a bad upcaster would. */
export const flakyStore = (store: EventStore, failing: Set<string>): EventStore => ({
  append: (...args) => store.append(...args),
  readStream: (streamId, options) =>
    failing.has(streamId) ? Promise.reject(new Error(`cannot read ${streamId}`)) : store.readStream(streamId, options),
  readAll: (options) => store.readAll(options),
  subscribeToAll: (options, handler) => store.subscribeToAll(options, handler),
  headPosition: () => store.headPosition(),
  findCommand: (commandId) => store.findCommand(commandId),
  close: () => store.close(),
});

/**
 * The saga runner without HTTP, on SQLite files in a temporary DATA_DIR (named as the engine names them, so the
 * `commerce dlq` CLI finds them), with a store whose reads can be made to fail.
 */
export class SagaWorld {
  readonly clock = new ManualClock('2026-03-01T10:00:00.000Z');
  readonly failing = new Set<string>();
  readonly handler: CommandHandler;
  readonly provider = new SimulatedPaymentProvider({ sleep: () => Promise.resolve() });
  readonly metrics: Metrics = createMetrics(false);
  sagas: SagaService | undefined;

  private constructor(
    readonly dir: string,
    readonly store: SqliteEventStore,
    public state: SqliteSagaStateStore,
    readonly deadLetters: SqliteDeadLetterStore,
  ) {
    this.handler = new CommandHandler({ store, clock: this.clock });
  }

  static async start(): Promise<SagaWorld> {
    const dir = mkdtempSync(join(tmpdir(), 'commerce-dlq-'));
    const world = new SagaWorld(
      dir,
      openSqliteEventStore({ path: join(dir, 'events.db') }),
      openSqliteSagaStateStore(join(dir, 'sagas.db')),
      openSqliteDeadLetterStore(join(dir, 'dead-letters.db'), new ManualClock('2026-03-01T10:00:00.000Z')),
    );
    await world.startSagas();
    return world;
  }

  get running(): SagaService {
    if (this.sagas === undefined) throw new Error('the sagas are not running');
    return this.sagas;
  }

  async startSagas(): Promise<void> {
    this.sagas = await startSagaService({
      bus: new EmbeddedBus(this.store, this.store.checkpointStore()),
      store: flakyStore(this.store, this.failing),
      handler: this.handler,
      clock: this.clock,
      logger: createLogger('silent'),
      settings: loadSagaSettings({}, { dataDir: this.dir }),
      state: this.state,
      deadLetters: this.deadLetters,
      provider: this.provider,
      registry: this.metrics.registry,
      tickIntervalMs: null,
      pause: () => Promise.resolve(),
    });
  }

  async stopSagas(): Promise<void> {
    await this.sagas?.stop(1_000);
    this.sagas = undefined;
  }

  /** As if the saga state file was lost: stop, delete it, start on a fresh one. */
  async loseStateFile(): Promise<void> {
    await this.stopSagas();
    await this.state.close();
    rmSync(join(this.dir, 'sagas.db'), { force: true });
    rmSync(join(this.dir, 'sagas.db-wal'), { force: true });
    rmSync(join(this.dir, 'sagas.db-shm'), { force: true });
    this.state = openSqliteSagaStateStore(join(this.dir, 'sagas.db'));
    await this.startSagas();
  }

  private context(commandId: string): CommandContext {
    return { commandId, causationId: commandId, correlationId: commandId };
  }

  async inventory(command: InventoryCommand, commandId = `test:${JSON.stringify(command)}`): Promise<void> {
    const result = await this.handler.handle(inventoryCentre, command, this.context(commandId));
    if (E.isLeft(result)) throw new Error(result.left.message);
  }

  async order(command: OrderCommand, commandId = `test:${command.type}:${command.orderId}`): Promise<void> {
    const result = await this.handler.handle(orderCentre, command, this.context(commandId));
    if (E.isLeft(result)) throw new Error(result.left.message);
  }

  get now() {
    return timestamp(this.clock.now().toISOString());
  }

  async stock(code: string, units: number): Promise<void> {
    const at = this.now;
    await this.inventory({
      type: 'DefineSku',
      sku: sku(code),
      name: name(code),
      unitPrice: money(1000, currency('EUR')),
      at,
    });
    await this.inventory({ type: 'RestockSku', sku: sku(code), quantity: quantity(units), at });
  }

  async place(id: string, code: string, units = 1, commandId?: string, token = 'tok_approve'): Promise<void> {
    await this.order(
      {
        type: 'PlaceOrder',
        orderId: orderId(id),
        customerId: customerId('cust-1'),
        currency: currency('EUR'),
        lines: [{ sku: sku(code), quantity: quantity(units), unitPrice: money(1000, currency('EUR')) }],
        paymentToken: paymentToken(token),
        at: this.now,
      },
      commandId,
    );
  }

  async cancel(id: string): Promise<void> {
    await this.order({ type: 'CancelOrder', orderId: orderId(id), reason: reason('changed my mind'), at: this.now });
  }

  async types(streamId: string): Promise<string[]> {
    return (await this.store.readStream(streamId)).map((e) => e.type.replace(/\.v\d+$/, ''));
  }

  async close(): Promise<void> {
    await this.stopSagas();
    await this.store.close();
    await this.state.close();
    await this.deadLetters.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
