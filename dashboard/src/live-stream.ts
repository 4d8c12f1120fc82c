/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import type { Api } from './api';
import { SseParser, type SseEvent } from './sse';

export type LiveState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'live' }
  | { readonly kind: 'reconnecting'; readonly inMs: number }
  /** the server has no stream endpoint: the page reloads on a timer instead */
  | { readonly kind: 'polling'; readonly everyMs: number }
  | { readonly kind: 'refused'; readonly status: number };

export interface LiveOptions {
  readonly api: Api;
  /** projections that advanced; `all` after (re)connecting or on a poll, when anything may have changed */
  readonly onChange: (projections: readonly string[] | 'all') => void;
  readonly onState: (state: LiveState) => void;
  readonly pollMs?: number;
  /** no byte (not even a keep-alive) for this long: the connection is presumed dead and reopened */
  readonly silenceMs?: number;
}

const MAX_BACKOFF_MS = 15_000;

/**
 * Reads `GET /v1/stream` with fetch rather than EventSource: EventSource cannot send the Authorization header, and
 * a key in the URL would end up in access logs and browser history.
 */
export class LiveStream {
  private controller: AbortController | undefined;
  private running = false;
  private retryTimer: number | undefined;
  private pollTimer: number | undefined;
  private backoffMs = 1_000;
  private connectedOnce = false;

  constructor(private readonly options: LiveOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.connectedOnce = false;
    void this.connect();
  }

  stop(): void {
    this.running = false;
    this.controller?.abort();
    window.clearTimeout(this.retryTimer);
    window.clearInterval(this.pollTimer);
    this.pollTimer = undefined;
  }

  private async connect(): Promise<void> {
    this.options.onState(this.connectedOnce ? { kind: 'reconnecting', inMs: 0 } : { kind: 'connecting' });
    const controller = new AbortController();
    this.controller = controller;
    let silence: number | undefined;
    const watch = (): void => {
      window.clearTimeout(silence);
      silence = window.setTimeout(() => {
        controller.abort();
      }, this.options.silenceMs ?? 45_000);
    };
    try {
      const { api } = this.options;
      const response = await fetch(api.url('stream'), {
        headers: { Accept: 'text/event-stream', ...api.headers() },
        cache: 'no-store',
        signal: controller.signal,
      });
      if (response.status === 404) {
        this.poll();
        return;
      }
      if (response.status === 401 || response.status === 403) {
        this.running = false;
        this.options.onState({ kind: 'refused', status: response.status });
        return;
      }
      if (!response.ok || response.body === null) throw new Error(`stream answered ${response.status}`);
      watch();
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      const parser = new SseParser();
      for (;;) {
        const chunk = await reader.read();
        if (chunk.done) break;
        watch();
        for (const event of parser.push(chunk.value)) this.dispatch(event);
      }
    } catch {
      // a dropped connection, an abort or a server error: all mean "try again later", below
    } finally {
      window.clearTimeout(silence);
    }
    if (!this.running) return;
    const wait = this.backoffMs;
    this.backoffMs = Math.min(MAX_BACKOFF_MS, this.backoffMs * 2);
    this.options.onState({ kind: 'reconnecting', inMs: wait });
    this.retryTimer = window.setTimeout(() => {
      void this.connect();
    }, wait);
  }

  private dispatch(event: SseEvent): void {
    if (event.event === 'hello') {
      this.backoffMs = 1_000;
      this.connectedOnce = true;
      this.options.onState({ kind: 'live' });
      // whatever happened while disconnected was missed: reload everything once
      this.options.onChange('all');
      return;
    }
    if (event.event !== 'position') return;
    try {
      const data: unknown = JSON.parse(event.data);
      if (typeof data === 'object' && data !== null && 'projection' in data && typeof data.projection === 'string') {
        this.options.onChange([data.projection]);
      }
    } catch {
      // a malformed event is skipped; the next one carries the newer position anyway
    }
  }

  private poll(): void {
    const everyMs = this.options.pollMs ?? 15_000;
    this.options.onState({ kind: 'polling', everyMs });
    window.clearInterval(this.pollTimer);
    this.pollTimer = window.setInterval(() => {
      this.options.onChange('all');
    }, everyMs);
  }
}
