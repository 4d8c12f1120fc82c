import type { Router } from 'express';
import * as E from 'fp-ts/Either';
import type { FlowControl } from '../../http/flow/flow-control';
import { flowRuleOperations, flowRuleRoutes } from '../../http/flow/routes';
import { decodeFlowRules, type FlowRules } from '../../http/flow/rules';
import { createHttpApp, listen, type RunningServer } from '../../http/app';
import { openApiDocument, type OperationSpec } from '../../http/openapi';
import type { Logger } from '../../ports/logger';
import type { Metrics } from '../../ports/metrics';
import type { Config } from '../config';

/** One part of a process's API: its routes under /v1 and the operations that document them. */
export interface ApiPart {
  readonly router: Router;
  readonly operations: readonly OperationSpec[];
}

export interface HttpServerOptions {
  readonly config: Pick<Config, 'host' | 'port' | 'apiKeys' | 'bodyLimit'>;
  readonly logger: Logger;
  readonly metrics: Metrics;
  /** the OpenAPI document's title */
  readonly title: string;
  readonly parts?: readonly ApiPart[];
  /** mounted at the root after /v1 (the dashboard) */
  readonly root?: readonly Router[];
  /** readiness beyond "not stopping": throws or answers false when a dependency does not answer */
  readonly ready?: () => Promise<boolean>;
  /** what `/metrics` answers, when more than this process's registry */
  readonly exposition?: () => Promise<string>;
  /** admission at this process's API, with `GET/PUT /v1/admin/flow-rules` to change its rules */
  readonly flow?: {
    readonly control: FlowControl;
    /** keeps rules replaced through the API for the next start */
    readonly persist?: (rules: FlowRules) => Promise<void>;
    /** the payment provider breaker's state, for `GET /v1/flow` */
    readonly breaker?: () => Promise<string | undefined>;
  };
}

export interface HttpServer extends RunningServer {
  readonly url: string;
}

/**
 * The one way a process serves HTTP: the shared edges (health, readiness, metrics, problem+json, 405/415), its API
 * parts documented in one OpenAPI document, readiness that turns false as soon as `close` begins (so load balancers
 * stop sending traffic while in-flight requests drain), and the warning when no API keys are configured.
 */
export const startHttpServer = async (options: HttpServerOptions): Promise<HttpServer> => {
  const { config, logger } = options;
  const { flow } = options;
  const apiParts = options.parts ?? [];
  const known = new Set(
    [...apiParts, { operations: flowRuleOperations }].flatMap((p) => p.operations).map((op) => op.operationId),
  );
  if (flow !== undefined) {
    // rules from the file are checked against this process's operations before it serves anything
    const checked = decodeFlowRules(flow.control.rules, known);
    if (E.isLeft(checked)) {
      throw new Error(`FLOW_RULES: ${checked.left.map((e) => `${e.field} ${e.message}`).join('; ')}`);
    }
  }
  const parts: readonly ApiPart[] =
    flow === undefined
      ? apiParts
      : [
          ...apiParts,
          {
            router: flowRuleRoutes({
              control: flow.control,
              operations: known,
              ...(flow.persist ? { persist: flow.persist } : {}),
              ...(flow.breaker ? { breaker: flow.breaker } : {}),
            }),
            operations: flowRuleOperations,
          },
        ];
  const operations = parts.flatMap((p) => p.operations);
  let accepting = true;
  const document = openApiDocument(options.title, operations, {
    secured: config.apiKeys.length > 0,
    flowControl: flow !== undefined,
  });
  const app = createHttpApp({
    logger,
    metrics: options.metrics,
    apiKeys: config.apiKeys,
    bodyLimit: config.bodyLimit,
    v1: parts.map((p) => p.router),
    ...(options.root ? { root: options.root } : {}),
    openApi: () => document,
    ready: async () => accepting && ((await options.ready?.()) ?? true),
    ...(options.exposition ? { exposition: options.exposition } : {}),
    ...(flow ? { flow: { control: flow.control, operations } } : {}),
  });
  const running = await listen(app, config.host, config.port);
  if (config.apiKeys.length === 0) {
    logger.warn(
      { host: config.host },
      'NO API KEYS CONFIGURED: the API is open to anyone who can reach this address (allowed only on loopback). Set API_KEYS to secure it.',
    );
  }
  return {
    ...running,
    url: `http://${config.host}:${running.port}`,
    close: (graceMs) => {
      accepting = false;
      return running.close(graceMs);
    },
  };
};
