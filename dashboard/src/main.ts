/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { Api, ApiError, describeError, isAuthError } from './api';
import { note, setChildren } from './dom';
import { LiveStream, type LiveState } from './live-stream';
import type { Changed, View, ViewContext } from './view';
import { deadLettersView } from './views/dead-letters';
import { orderView } from './views/order';
import { ordersView } from './views/orders';
import { overviewView } from './views/overview';
import { stockView } from './views/stock';

const element = <T extends HTMLElement>(id: string, type: new () => T): T => {
  const found = document.getElementById(id);
  if (!(found instanceof type)) throw new Error(`the page lacks #${id}`);
  return found;
};

const viewRoot = element('view', HTMLDivElement);
const main = element('main', HTMLElement);
const keyPanel = element('key-panel', HTMLElement);
const keyToggle = element('key-toggle', HTMLButtonElement);
const keyForm = element('key-form', HTMLFormElement);
const keyInput = element('api-key', HTMLInputElement);
const keyForget = element('key-forget', HTMLButtonElement);
const authMessage = element('auth-message', HTMLDivElement);
const liveStatus = element('live-status', HTMLElement);
const liveText = element('live-text', HTMLElement);

/** The key lives for this tab only; storage may be disabled (private modes), then for this page only. */
const keyStore = (() => {
  const name = 'commerce-dashboard.api-key';
  let memory: string | null = null;
  return {
    get(): string | null {
      try {
        return sessionStorage.getItem(name);
      } catch {
        return memory;
      }
    },
    set(key: string | null): void {
      memory = key;
      try {
        if (key === null) sessionStorage.removeItem(name);
        else sessionStorage.setItem(name, key);
      } catch {
        // memory keeps it
      }
    },
  };
})();

const api = new Api(() => keyStore.get());

/**
 * Coalesces change notices: a refresh waits for a short quiet spell (but never longer than `maxDelayMs` under a
 * steady stream), and never overlaps the previous one.
 */
class Refresher {
  private pending: Set<string> | 'all' | undefined;
  private timer: number | undefined;
  private firstAt: number | undefined;
  private running = false;

  constructor(
    private readonly run: (changed: Changed) => Promise<void>,
    private readonly delayMs = 250,
    private readonly maxDelayMs = 1_000,
  ) {}

  notify(changed: readonly string[] | 'all'): void {
    if (changed === 'all' || this.pending === 'all') this.pending = 'all';
    else this.pending = new Set([...(this.pending ?? []), ...changed]);
    this.schedule();
  }

  cancel(): void {
    window.clearTimeout(this.timer);
    this.pending = undefined;
    this.firstAt = undefined;
  }

  private schedule(): void {
    if (this.running || this.pending === undefined) return;
    const now = performance.now();
    this.firstAt ??= now;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(
      () => {
        void this.flush();
      },
      Math.max(0, Math.min(this.delayMs, this.firstAt + this.maxDelayMs - now)),
    );
  }

  private async flush(): Promise<void> {
    const changed = this.pending;
    this.pending = undefined;
    this.firstAt = undefined;
    if (changed === undefined) return;
    this.running = true;
    try {
      await this.run(changed);
    } finally {
      this.running = false;
      this.schedule();
    }
  }
}

type Route =
  | { readonly kind: 'overview'; readonly channel: string }
  | {
      readonly kind: 'orders';
      readonly status: string;
      readonly customerId: string;
      readonly channel: string;
      readonly tradeType: string;
    }
  | { readonly kind: 'order'; readonly orderId: string }
  | { readonly kind: 'stock' }
  | { readonly kind: 'dead-letters' }
  | { readonly kind: 'missing'; readonly path: string };

/** `#/orders/o-1` → the order's page; hashes not starting with `#/` (the skip link's `#main`) are no route. */
const parseRoute = (hash: string): Route | undefined => {
  if (hash === '' || hash === '#') return { kind: 'overview', channel: '' };
  if (!hash.startsWith('#/')) return undefined;
  const [path = '', search = ''] = hash.slice(1).split('?', 2);
  const params = new URLSearchParams(search);
  const order = /^\/orders\/(.+)$/.exec(path);
  if (order?.[1] !== undefined) {
    try {
      return { kind: 'order', orderId: decodeURIComponent(order[1]) };
    } catch {
      return { kind: 'missing', path };
    }
  }
  switch (path) {
    case '/':
      return { kind: 'overview', channel: params.get('channel') ?? '' };
    case '/orders':
      return {
        kind: 'orders',
        status: params.get('status') ?? '',
        customerId: params.get('customerId') ?? '',
        channel: params.get('channel') ?? '',
        tradeType: params.get('tradeType') ?? '',
      };
    case '/stock':
      return { kind: 'stock' };
    case '/dead-letters':
      return { kind: 'dead-letters' };
    default:
      return { kind: 'missing', path };
  }
};

const navKey = (route: Route): string => (route.kind === 'order' ? 'orders' : route.kind);

let view: View | undefined;
let authorized = false;

const refresher = new Refresher(async (changed) => {
  await view?.refresh(changed);
});

const showLive = (state: LiveState): void => {
  liveStatus.dataset.state = state.kind;
  switch (state.kind) {
    case 'connecting':
      liveText.textContent = 'Connecting…';
      break;
    case 'live':
      liveText.textContent = 'Live';
      break;
    case 'reconnecting':
      liveText.textContent = 'Reconnecting…';
      break;
    case 'polling':
      liveText.textContent = `Refreshing every ${Math.round(state.everyMs / 1000)} s`;
      break;
    case 'refused':
      liveText.textContent = 'Not connected';
      void probe();
      break;
    default: {
      const _exhaustive: never = state;
    }
  }
};

const live = new LiveStream({
  api,
  onChange: (changed) => {
    refresher.notify(changed);
  },
  onState: showLive,
});

const setKeyPanel = (open: boolean): void => {
  keyPanel.hidden = !open;
  keyToggle.setAttribute('aria-expanded', String(open));
};

const showAuthProblem = (error: ApiError): void => {
  authorized = false;
  live.stop();
  refresher.cancel();
  view?.dispose();
  view = undefined;
  const hasKey = keyStore.get() !== null;
  const text =
    error.status === 403
      ? 'This API key lacks the "read" scope (403 Forbidden). Enter a key that has the read scope.'
      : hasKey
        ? 'The API key was not accepted (401 Unauthenticated). Check the key and try again.'
        : 'This server requires an API key (401 Unauthenticated). Enter a key with the read scope.';
  setChildren(authMessage, note(text, 'error'));
  setChildren(viewRoot, note('The dashboard shows data once a key with the read scope is entered above.', 'info'));
  liveStatus.dataset.state = 'refused';
  liveText.textContent = 'Not connected';
  setKeyPanel(true);
  keyInput.focus();
};

const context = (): ViewContext => ({
  api,
  root: viewRoot,
  now: () => Date.now(),
  failed: (error, where) => {
    if (error instanceof DOMException && error.name === 'AbortError') return false;
    if (isAuthError(error)) showAuthProblem(error);
    else setChildren(where, note(`Could not load this: ${describeError(error)}`, 'error'));
    return true;
  },
});

const show = (route: Route, moveFocus: boolean): void => {
  view?.dispose();
  refresher.cancel();
  const ctx = context();
  switch (route.kind) {
    case 'overview':
      view = overviewView(ctx, route.channel);
      break;
    case 'orders':
      view = ordersView(ctx, {
        status: route.status,
        customerId: route.customerId,
        channel: route.channel,
        tradeType: route.tradeType,
      });
      break;
    case 'order':
      view = orderView(ctx, route.orderId);
      break;
    case 'stock':
      view = stockView(ctx);
      break;
    case 'dead-letters':
      view = deadLettersView(ctx);
      break;
    case 'missing':
      view = undefined;
      setChildren(viewRoot, note(`There is no page ${route.path}. Use the navigation above.`, 'warn'));
      break;
    default: {
      const _exhaustive: never = route;
    }
  }
  document.title = `${view?.title ?? 'Not found'} · Commerce dashboard`;
  const key = navKey(route);
  for (const link of document.querySelectorAll<HTMLAnchorElement>('nav.nav a')) {
    if (link.dataset.nav === key) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  void view?.refresh('all');
  // after a navigation, screen-reader and keyboard users start at the new view's heading
  if (moveFocus) viewRoot.querySelector<HTMLElement>('h1')?.focus();
};

/** Checks the key against a read route; on success starts the live stream and shows the route. */
const probe = async (): Promise<void> => {
  try {
    await api.get('projections');
  } catch (error) {
    if (error instanceof ApiError && isAuthError(error)) {
      showAuthProblem(error);
    } else {
      setChildren(viewRoot, note(`The read API cannot be reached: ${describeError(error)}. Retrying…`, 'error'));
      window.setTimeout(() => {
        void probe();
      }, 5_000);
    }
    return;
  }
  const wasAuthorized = authorized;
  authorized = true;
  setChildren(authMessage);
  if (!wasAuthorized) {
    setKeyPanel(false);
    live.start();
    const route = parseRoute(location.hash) ?? { kind: 'overview', channel: '' };
    show(route, false);
  }
};

keyToggle.addEventListener('click', () => {
  const open = keyPanel.hidden !== false;
  setKeyPanel(open);
  if (open) keyInput.focus();
});

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  keyStore.set(key === '' ? null : key);
  keyInput.value = '';
  // a new key may grant or lose access: start over
  authorized = false;
  live.stop();
  void probe();
});

keyForget.addEventListener('click', () => {
  keyStore.set(null);
  keyInput.value = '';
  authorized = false;
  live.stop();
  void probe();
});

window.addEventListener('hashchange', () => {
  const route = parseRoute(location.hash);
  if (route !== undefined && authorized) show(route, true);
});

// the skip link moves focus without turning `#main` into a route
element('skip-link', HTMLAnchorElement).addEventListener('click', (event) => {
  event.preventDefault();
  main.focus();
});

void probe();
