import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startEngine } from './lib/engine';
import { commandLine, processTree } from '../tools/services/proc';
import { runStep, setupCatalogue, setupPromotions } from './lib/load';
import { errorText, int, ms, progress, writeResults } from './lib/report';

/**
 * CPU profile of the embedded engine on the end-to-end path: `serve` runs under `node --cpu-prof` while orders go in
 * at a fixed open-loop rate; on SIGTERM node writes the .cpuprofile, which is summarised into the top self-time
 * functions, inclusive time of the project's own functions, and self time per package.
 *
 *   npx tsx bench/profile.ts [--rate 300] [--seconds 20] [--top 25] [--file existing.cpuprofile] [--plain] [--promotions]
 *
 * `--plain` runs the same load without the profiler (which costs the engine CPU of its own) and reports CPU per order
 * per process from /proc: the figure to compare before and after a change. `--promotions` prices every order with the
 * e2e bench's promotion book and puts its coupon on every fifth order.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
  readonly startTime: number;
  readonly endTime: number;
}

const root = resolve(__dirname, '..');

const isProfile = (u: unknown): u is CpuProfile =>
  typeof u === 'object' && u !== null && 'nodes' in u && 'samples' in u && 'timeDeltas' in u;

const place = (frame: CallFrame): string => {
  const path = frame.url.replace(/^file:\/\//, '');
  if (path === '') return '(native)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path);
  if (inModules) return `${inModules[1] ?? ''}/${inModules[2] ?? ''}:${frame.lineNumber + 1}`;
  if (path.startsWith('node:')) return `${path}:${frame.lineNumber + 1}`;
  // tsx output lines, not source lines: the column tells functions on one generated line apart
  return `${relative(root, path)}:${frame.lineNumber + 1}:${frame.columnNumber + 1}`;
};

/** Where the time goes, coarsely: the project's folders, each npm package, node internals, V8 (GC, idle). */
const bucketOf = (frame: CallFrame): string => {
  const path = frame.url.replace(/^file:\/\//, '');
  if (path === '') return frame.functionName.startsWith('(') ? frame.functionName : '(native/V8)';
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(path);
  if (inModules) return `npm:${inModules[1] ?? '?'}`;
  if (path.startsWith('node:')) return 'node internals';
  return `project:${relative(root, path).split('/')[0] ?? '?'}`;
};

/**
 * The engine's stages, by the innermost frame of a sample that names one (so SQLite work under an append counts as
 * the event store, JSON parsing under a projection as projections). `SQLite commits` is the group commit shared by
 * the stores of a process; a process that only appends events (serve, split) has only event-store commits there.
 */
const STAGES: readonly (readonly [string, RegExp])[] = [
  ['read store', /infra\/sqlite\/sqlite-read-store|infra\/read-store/],
  ['event store (reads, appends)', /infra\/sqlite\/(sqlite-event-store|event-rows|sqlite-log-reader)/],
  ['SQLite commits', /infra\/sqlite\/group-commit/],
  [
    'saga bookkeeping (timers, dispatch log, dead letters)',
    /infra\/sqlite\/(sqlite-saga-state-store|sqlite-dead-letter-store)/,
  ],
  [
    'decide (command handler, aggregates)',
    /commands\/(command-handler|place-order)|domain\/(order|inventory|payment)\//,
  ],
  ['sagas', /commands\/sagas\/|domain\/sagas\//],
  ['projections', /projections\//],
  ['bus (subscriptions)', /infra\/bus\/|infra\/subscriptions\//],
  [
    'HTTP (parse, route, answer)',
    /\/(http|read-api|dashboard)\/|commands\/api\/|node_modules\/(express|router|body-parser|raw-body|on-finished|finalhandler|content-type|type-is)\/|node:_http|node:net|node:internal\/(http|stream)/,
  ],
  ['metrics and logs', /node_modules\/(prom-client|pino|sonic-boom)\//],
];

export interface ProfileLine {
  readonly name: string;
  readonly where: string;
  readonly ms: number;
  readonly share: number;
}

export interface ProfileSummary {
  readonly totalMs: number;
  readonly idleMs: number;
  readonly topSelf: readonly ProfileLine[];
  /** the project's own functions by inclusive time (callees included; recursion counted once) */
  readonly topInclusive: readonly ProfileLine[];
  readonly byBucket: readonly ProfileLine[];
  /** busy time by stage (see STAGES); garbage collection and what no stage names are their own lines */
  readonly byStage: readonly ProfileLine[];
}

export const summarise = (profile: CpuProfile, top = 25): ProfileSummary => {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  const totalUs = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const keyOf = (f: CallFrame): string => `${f.functionName || '(anonymous)'}\t${place(f)}`;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  const buckets = new Map<string, number>();
  const stages = new Map<string, number>();
  const stageMemo = new Map<number, string>();
  const stageOf = (id: number): string => {
    const known = stageMemo.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    const up = parent.get(id);
    const named = frame === undefined ? undefined : STAGES.find(([, pattern]) => pattern.test(frame.url))?.[0];
    const stage =
      named ??
      (frame?.functionName === '(garbage collector)' ? 'garbage collection' : up === undefined ? 'other' : stageOf(up));
    stageMemo.set(id, stage);
    return stage;
  };
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') idleUs += us;
    self.set(keyOf(node.callFrame), (self.get(keyOf(node.callFrame)) ?? 0) + us);
    buckets.set(bucketOf(node.callFrame), (buckets.get(bucketOf(node.callFrame)) ?? 0) + us);
    if (node.callFrame.functionName !== '(idle)') stages.set(stageOf(id), (stages.get(stageOf(id)) ?? 0) + us);
    // walk up once per sampled node, counting each project function once per stack
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const frame = byId.get(cur)?.callFrame;
      if (frame === undefined) break;
      const path = frame.url.replace(/^file:\/\//, '');
      if (!path.startsWith(root) || path.includes('node_modules')) continue;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      inclusive.set(key, (inclusive.get(key) ?? 0) + us);
    }
  }
  const busyUs = Math.max(1, totalUs - idleUs);
  const lines = (m: Map<string, number>, n: number): ProfileLine[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => {
        const [name = key, where = ''] = key.split('\t');
        return { name, where, ms: us / 1000, share: us / busyUs };
      });
  self.delete(`(idle)\t(native)`);
  buckets.delete('(idle)');
  return {
    totalMs: totalUs / 1000,
    idleMs: idleUs / 1000,
    topSelf: lines(self, top),
    topInclusive: lines(inclusive, top),
    byBucket: lines(buckets, 20),
    byStage: lines(stages, STAGES.length + 2),
  };
};

const table = (title: string, rows: readonly ProfileLine[]): string =>
  [
    `### ${title}`,
    '',
    '| # | function | where | ms | % of busy |',
    '|---:|---|---|---:|---:|',
    ...rows.map((r, i) => `| ${i + 1} | \`${r.name}\` | ${r.where} | ${int(r.ms)} | ${(r.share * 100).toFixed(1)} |`),
  ].join('\n');

const stageTable = (rows: readonly ProfileLine[], orders: number | undefined): string =>
  [
    '### Busy time by stage',
    '',
    '| stage | ms | % of busy | ms per order |',
    '|---|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${int(r.ms)} | ${(r.share * 100).toFixed(1)} | ${orders === undefined ? '' : (r.ms / Math.max(1, orders)).toFixed(3)} |`,
    ),
  ].join('\n');

export const render = (s: ProfileSummary, orders?: number): string =>
  [
    `busy ${int(s.totalMs - s.idleMs)} ms of ${int(s.totalMs)} ms profiled (idle ${((s.idleMs / Math.max(1, s.totalMs)) * 100).toFixed(0)} %)`,
    '',
    stageTable(s.byStage, orders),
    '',
    table('Self time by package / folder', s.byBucket),
    '',
    table('Top self time', s.topSelf),
    '',
    table('Project functions by inclusive time', s.topInclusive),
  ].join('\n');

/** What an engine process is, from its command line: `serve`, or a worker and its role. */
const roleOf = (pid: number, servePid: number): string => {
  if (pid === servePid) return 'serve (HTTP, commands, reads)';
  const role = /engine-worker (\w+)/.exec(commandLine(pid) ?? '')?.[1];
  return role === undefined ? `process ${pid}` : `engine worker: ${role}`;
};

const main = async (): Promise<void> => {
  const args = parseArgs({
    options: {
      rate: { type: 'string', default: '300' },
      seconds: { type: 'string', default: '20' },
      top: { type: 'string', default: '25' },
      file: { type: 'string' },
      plain: { type: 'boolean', default: false },
      promotions: { type: 'boolean', default: false },
    },
  }).values;
  const top = Number(args.top);
  if (args.file !== undefined) {
    const parsed: unknown = JSON.parse(readFileSync(args.file, 'utf8'));
    if (!isProfile(parsed)) throw new Error(`${args.file} is not a .cpuprofile`);
    process.stdout.write(`${render(summarise(parsed, top))}\n`);
    return;
  }
  const rate = Number(args.rate);
  const seconds = Number(args.seconds);
  const dir = mkdtempSync(join(tmpdir(), 'commerce-profile-'));
  const profDir = join(dir, 'prof');
  progress(`profile: engine under --cpu-prof, ${rate} orders/s for ${seconds} s (DATA_DIR=${dir})`);
  const engine = await startEngine({
    name: 'serve',
    subcommand: 'serve',
    env: { DATA_DIR: dir },
    logDir: dir,
    nodeArgs: args.plain ? [] : ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--cpu-prof-interval=500'],
  });
  let step;
  const roles = new Map<number, string>();
  let cpuMsPerOrder = Number.NaN;
  const perProcess: { role: string; cpuMsPerOrder: number; writtenKiBPerOrder: number; peakRssMiB: number }[] = [];
  try {
    const target = { commandUrl: engine.url, readUrl: engine.url };
    const plainCatalogue = await setupCatalogue(target, `p${Date.now().toString(36)}`);
    const catalogue = args.promotions ? await setupPromotions(target, plainCatalogue) : plainCatalogue;
    const perProcessBefore = new Map(engine.perProcess().map((p) => [p.pid, p]));
    step = await runStep(target, catalogue, { rate, durationS: seconds, drainTimeoutS: 20 });
    for (const pid of processTree(engine.pid)) roles.set(pid, roleOf(pid, engine.pid));
    // the step ends once its orders are finished (or the drain timed out): the CPU they cost, per order
    const orders = Math.max(1, step.accepted);
    for (const p of engine.perProcess()) {
      const before = perProcessBefore.get(p.pid);
      perProcess.push({
        role: roles.get(p.pid) ?? `process ${p.pid}`,
        cpuMsPerOrder: ((p.cpuSeconds - (before?.cpuSeconds ?? 0)) * 1000) / orders,
        writtenKiBPerOrder: (p.writtenBytes - (before?.writtenBytes ?? 0)) / 1024 / orders,
        peakRssMiB: p.peakRssMiB,
      });
    }
    cpuMsPerOrder = perProcess.reduce((sum, p) => sum + p.cpuMsPerOrder, 0);
  } finally {
    await engine.stop(30_000);
  }
  const cpuLine =
    `\nengine at ${rate} orders/s for ${seconds} s: held=${step.held}, finished ${int(step.completionRate)}/s, ` +
    `command p50/p99 ${ms(step.commandMs.p50)}/${ms(step.commandMs.p99)}, ` +
    `engine CPU ${cpuMsPerOrder.toFixed(2)} ms per order, all processes (drained: ${step.drained})\n` +
    perProcess
      .map(
        (p) =>
          `  ${p.role}: ${p.cpuMsPerOrder.toFixed(2)} ms and ${p.writtenKiBPerOrder.toFixed(1)} KiB written per order, peak RSS ${int(p.peakRssMiB)} MiB\n`,
      )
      .join('');
  const figures = { kind: 'profile', plain: args.plain, rate, seconds, step, cpuMsPerOrder, perProcess };
  if (args.plain) {
    const saved = writeResults('-profile', figures);
    process.stdout.write(cpuLine);
    progress(`summary in ${saved}`);
    rmSync(dir, { recursive: true, force: true });
    return;
  }
  // one profile per process: serve's own (its pid is in the file name) and its engine worker's
  const files = readdirSync(profDir).filter((f) => f.endsWith('.cpuprofile'));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${profDir} (did the engine exit cleanly?)`);
  const processes = files
    .map((file) => {
      const parsed: unknown = JSON.parse(readFileSync(join(profDir, file), 'utf8'));
      if (!isProfile(parsed)) throw new Error(`${file} is not a .cpuprofile`);
      // CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile: thread 0 is the main thread, others are worker threads
      const [, pid, thread] = /\.(\d+)\.(\d+)\.\d+\.cpuprofile$/.exec(file) ?? [];
      const owner = roles.get(Number(pid)) ?? `process ${pid ?? '?'}`;
      const role = thread === '0' ? owner : `${owner}, thread ${thread ?? '?'} (WAL checkpoints)`;
      return { role, file, summary: summarise(parsed, top) };
    })
    .sort((a, b) => b.role.localeCompare(a.role));
  const saved = writeResults('-profile', { ...figures, processes });
  process.stdout.write(cpuLine);
  for (const p of processes) {
    process.stdout.write(`\n## ${p.role}\n\n${render(p.summary, step.accepted)}\n`);
    progress(`profile of ${p.role} kept at ${join(profDir, p.file)}`);
  }
  progress(`summary in ${saved}`);
  // the data dir goes, the profile stays for a closer look (e.g. in Chrome DevTools)
  rmSync(join(dir, 'events.db'), { force: true });
};

if (require.main === module) {
  main().catch((error: unknown) => {
    progress(`profile failed: ${errorText(error)}`);
    process.exitCode = 1;
  });
}
