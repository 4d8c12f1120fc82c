import { rename, writeFile } from 'node:fs/promises';
import type { Registry } from 'prom-client';
import { FlowControl } from '../../http/flow/flow-control';
import { PressureSampler, type Backlog } from '../../http/flow/pressure';
import type { FlowRules } from '../../http/flow/rules';
import { systemClock, type Clock } from '../../ports/clock';
import type { EventStore } from '../../ports/event-store';
import type { Metrics } from '../../ports/metrics';
import type { Config } from '../config';
import type { HttpServerOptions } from './http-server';

export interface ProcessFlow {
  readonly flow: NonNullable<HttpServerOptions['flow']>;
  stop(): void;
}

/** Writes the file whole or not at all (a crash mid-write leaves the old rules). */
const writeRulesFile = async (path: string, rules: FlowRules): Promise<void> => {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(rules, null, 2)}\n`);
  await rename(temporary, path);
};

/** The breaker state a registry's metrics show (`payment_provider_breaker_state` at 1), if any. */
export const breakerStateIn = (
  metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>> | undefined,
): string | undefined =>
  metrics
    ?.find((metric) => metric.name === 'payment_provider_breaker_state')
    ?.values.find((value) => value.value === 1)
    ?.labels.state?.toString();

/** The lowest of the positions known; undefined when one of them is not known yet. */
export const lowestOf = (positions: readonly (number | undefined)[]): number | undefined => {
  const known = positions.filter((position): position is number => position !== undefined);
  return known.length < positions.length ? undefined : Math.min(...known);
};

/**
 * The backlog of an engine whose consumers report positions: the log's head minus `handled`, the position the slowest
 * consumer (saga runner or projection) has handled everything up to, and the age of the first event past it (on the
 * clock that stamped it); undefined while one has not reported yet.
 */
export const backlogBehind =
  (store: EventStore, handled: () => number | undefined, clock: Clock): (() => Promise<Backlog | undefined>) =>
  async () => {
    const lowest = handled();
    if (lowest === undefined) return undefined;
    const events = Math.max(0, (await store.headPosition()) - lowest);
    if (events === 0) return { events, lagMs: 0 };
    const [oldest] = await store.readAll({ after: lowest, maxCount: 1 });
    const appendedAt = oldest === undefined ? Number.NaN : Date.parse(oldest.metadata.timestamp);
    return { events, lagMs: Number.isFinite(appendedAt) ? Math.max(0, clock.now().getTime() - appendedAt) : 0 };
  };

/**
 * Flow control for a process's API (undefined with FLOW_CONTROL=off): its rules from the configuration, replaced
 * rules kept in the FLOW_RULES file, and the backlog sampled from `backlog` (undefined where none is known: the
 * event-loop delay is then the only shedding signal).
 */
export const startFlowControl = (
  config: Pick<Config, 'flowRules' | 'flowRulesPath'>,
  metrics: Metrics,
  backlog: () => Promise<Backlog | undefined>,
  clock: Clock = systemClock,
  breaker?: () => Promise<string | undefined>,
  /** how often the backlog may be read at most (default: every sample, five times a second) */
  backlogEveryMs?: number,
): ProcessFlow | undefined => {
  if (config.flowRules === undefined) return undefined;
  const sampler = new PressureSampler({
    backlog,
    registry: metrics.registry,
    ...(backlogEveryMs === undefined ? {} : { backlogEveryMs }),
  });
  const control = new FlowControl({
    rules: config.flowRules,
    now: () => clock.now().getTime(),
    pressure: () => sampler.current(),
    registry: metrics.registry,
  });
  const path = config.flowRulesPath;
  return {
    flow: {
      control,
      ...(path === undefined ? {} : { persist: (rules: FlowRules) => writeRulesFile(path, rules) }),
      ...(breaker === undefined ? {} : { breaker }),
    },
    stop: () => {
      sampler.stop();
    },
  };
};
