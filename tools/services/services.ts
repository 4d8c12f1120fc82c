import { runServiceTests, printEnv, servicesStatus, startServices, stopServices } from './harness';
import { errorMessage, progress, seconds } from './log';
import { interrupt } from './proc';
import { envFile, listOwned, stateFile } from './state';

/**
 * Real servers without Docker: `tsx tools/services/services.ts start|stop|status|test [mocha args…]`.
 * See tools/services/README.md.
 */
const usage = 'usage: tsx tools/services/services.ts start | stop | status | test [extra mocha args]';

const start = async (): Promise<number> => {
  const started = Date.now();
  const { state, started: names } = await startServices();
  progress(
    `${names.length === 0 ? 'nothing to start' : `started ${names.join(', ')}`} in ${seconds(Date.now() - started)}`,
  );
  printEnv(state);
  return 0;
};

const status = async (): Promise<number> => {
  const statuses = await servicesStatus();
  for (const s of statuses) {
    if (s.record === undefined) {
      process.stdout.write(`${s.name}: not running\n`);
      continue;
    }
    const health = !s.running
      ? 'process gone (stale state; "services:stop" clears it)'
      : s.answers
        ? 'answers'
        : `does not answer${s.error === undefined ? '' : ` (${s.error})`}`;
    process.stdout.write(
      `${s.name}: pid ${s.record.pid}, ${s.record.url}, started ${s.record.startedAt}, ${health}\n` +
        `  data ${s.record.dataDir}\n  log  ${s.record.logPath}\n`,
    );
  }
  for (const { ownerPid, record } of listOwned()) {
    process.stdout.write(`${record.name} (owned by test process ${ownerPid}): pid ${record.pid}, ${record.url}\n`);
  }
  process.stdout.write(`state ${stateFile()}\nenv   ${envFile()}\n`);
  return 0;
};

const test = async (extra: readonly string[]): Promise<number> => {
  const timeoutMs = Number(process.env.COMMERCE_SERVICES_TEST_TIMEOUT_MS ?? 20 * 60_000);
  const started = Date.now();
  const code = await runServiceTests(extra, timeoutMs);
  progress(`test:services finished in ${seconds(Date.now() - started)} with exit code ${code}`);
  return code;
};

const main = async (argv: readonly string[]): Promise<number> => {
  const [command, ...rest] = argv;
  switch (command ?? '') {
    case 'start':
      return start();
    case 'stop':
      await stopServices();
      progress('stopped');
      return 0;
    case 'status':
      return status();
    case 'test':
      return test(rest);
    default:
      process.stderr.write(`${usage}\n`);
      return 2;
  }
};

let signals = 0;
const onSignal = (sig: NodeJS.Signals): void => {
  signals += 1;
  if (signals > 1) {
    progress(`${sig} again: exiting without cleanup (check "npm run services:status")`);
    process.exit(130);
  }
  progress(`${sig}: cleaning up (press again to exit at once)`);
  interrupt(`interrupted by ${sig}`);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

main(process.argv.slice(2)).then(
  (code) => {
    // exit explicitly: a lingering client socket or timer must never keep the harness alive
    process.exit(code);
  },
  (error: unknown) => {
    process.stderr.write(`[services] FAILED: ${errorMessage(error)}\n`);
    process.exit(1);
  },
);
