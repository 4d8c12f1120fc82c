import { ConfigError, loadConfig, type Config } from '../config';
import { createLogger } from '../../infra/observability/logger';
import type { Logger } from '../../ports/logger';
import { WORKER_SUBCOMMAND } from '../runtime/worker-link';

/** `commerce <subcommand>`: one entry point for every process of the engine. */
const usage = `Usage: commerce <command> [options]

Commands:
  serve         run the whole engine (embedded default: SQLite event store); sagas and projections run in a
                worker process it starts itself (ENGINE_LAYOUT=split, the default) or on one event loop (single)
  command-api   run the command API only (distributed mode)
  relay         publish the event store's global log to Kafka (distributed mode)
  projector     consume Kafka and maintain the read models (run several: one consumer group)
  read-api      serve the read models and read-your-writes (distributed mode)
  saga-runner   carry orders and refunds across the centres (distributed mode)
  payment-simulator
                serve the simulated payment provider (SIM_*) over HTTP, one for every saga runner
                (PAYMENT_PROVIDER_URL)
  dlq           list, retry or discard dead letters (admin): commerce dlq --help
  projections   list, rebuild (blue/green), reset, drop-old read models: commerce projections --help
  help          show this help

Configuration comes from environment variables (see README "Configuration"):
  HOST, PORT, DATA_DIR, SQLITE_PATH, EVENT_STORE=sqlite|eventstoredb|postgres, EVENTSTORE_URL, READ_STORE=sqlite|mongodb|postgres,
  MONGODB_URL, POSTGRES_URL, BUS=embedded|kafka, KAFKA_BROKERS, API_KEYS, LOG_LEVEL, ...
`;

type Runner = (config: Config, logger: Logger) => Promise<void>;

/**
 * Each subcommand's module is loaded when it runs (`require` at the call, not an import at the top), so a process
 * holds only the drivers its role and configuration use: `serve` on SQLite loads no Kafka, MongoDB, PostgreSQL or
 * EventStoreDB client, each of which is 12–21 MiB resident in every process that loads it.
 */
const runtime = {
  serve: () => require('../runtime/serve') as typeof import('../runtime/serve'),
  commandApi: () => require('../runtime/command-api-process') as typeof import('../runtime/command-api-process'),
  processes: () => require('../runtime/processes') as typeof import('../runtime/processes'),
  sagaRunner: () => require('../runtime/saga-runner-process') as typeof import('../runtime/saga-runner-process'),
  paymentSimulator: () =>
    require('../runtime/payment-simulator-process') as typeof import('../runtime/payment-simulator-process'),
  splitEngine: () => require('../runtime/split-engine') as typeof import('../runtime/split-engine'),
};

const commands: Readonly<Record<string, Runner>> = {
  serve: (config, logger) => runtime.serve().runServe(config, logger),
  'command-api': (config, logger) => runtime.commandApi().runCommandApi(config, logger, 'command-api'),
  relay: (config, logger) => runtime.processes().runRelay(config, logger),
  projector: (config, logger) => runtime.processes().runProjector(config, logger),
  'read-api': (config, logger) => runtime.processes().runReadApi(config, logger),
  'saga-runner': (config, logger) => runtime.sagaRunner().runSagaRunner(config, logger),
  'payment-simulator': (config, logger) => runtime.paymentSimulator().runPaymentSimulator(config, logger),
  // started by `serve` over an IPC pipe, not listed in the usage
  [WORKER_SUBCOMMAND]: (config, logger) => runtime.splitEngine().runEngineWorker(config, logger, process.argv[3]),
};

const loadConfigOrExit = (): Config | undefined => {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`commerce: ${error.message}\n`);
      return undefined;
    }
    throw error;
  }
};

const main = async (argv: readonly string[]): Promise<number> => {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(usage);
    return name === undefined ? 1 : 0;
  }
  if (name === 'dlq' || name === 'projections') {
    // operator commands have their own --help, --json and exit codes
    const config = loadConfigOrExit();
    if (config === undefined) return 2;
    const logger = createLogger(config.logLevel, name, 'stderr');
    return name === 'dlq'
      ? (require('./dlq') as typeof import('./dlq')).runDlq(rest, config, logger)
      : (require('./projections') as typeof import('./projections')).runProjectionsCli(rest, config, logger);
  }
  const runner = commands[name];
  if (!runner) {
    process.stderr.write(`commerce: unknown command "${name}"\n\n${usage}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(usage);
    return 0;
  }
  const config = loadConfigOrExit();
  if (config === undefined) return 2;
  await runner(config, createLogger(config.logLevel, name));
  return 0;
};

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`commerce: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
