/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { badge, h, type Column } from '../dom';
import { formatCount, formatDateTime, formatMoney, humanize } from '../format';
import type { Order } from '../types';

const statusTone: Readonly<Record<string, string>> = {
  Placed: 'blue',
  Confirmed: 'green',
  Shipped: 'teal',
  Cancelled: 'red',
  PartiallyRefunded: 'amber',
  Refunded: 'amber',
};

/** The status as a word, never as a colour alone. */
export const orderStatus = (status: string | null): HTMLElement =>
  status === null ? badge('Not placed yet', 'grey') : badge(humanize(status), statusTone[status] ?? 'grey');

export const orderLink = (orderId: string): string => `#/orders/${encodeURIComponent(orderId)}`;

const units = (order: Order): number => (order.lines ?? []).reduce((sum, line) => sum + line.quantity, 0);

/** Columns of an order list; `compact` for the overview's short list. */
export const orderColumns = (compact: boolean): Column<Order>[] => [
  { label: 'Order', cell: (o) => h('a', { href: orderLink(o.orderId), class: 'mono' }, o.orderId) },
  { label: 'Placed', cell: (o) => formatDateTime(o.placedAt) },
  { label: 'Customer', cell: (o) => o.customerId ?? '—' },
  ...(compact ? [] : [{ label: 'Channel', cell: (o: Order) => o.channel ?? '—' }]),
  { label: 'Status', cell: (o) => orderStatus(o.status) },
  ...(compact ? [] : [{ label: 'Units', numeric: true, cell: (o: Order) => formatCount(units(o)) }]),
  { label: 'Total', numeric: true, cell: (o) => (o.total ? formatMoney(o.total) : '—') },
  ...(compact
    ? []
    : [
        { label: 'Paid', numeric: true, cell: (o: Order) => (o.paid ? formatMoney(o.paid) : '—') },
        {
          label: 'Refunded',
          numeric: true,
          cell: (o: Order) => (o.refunded && o.refunded.amount > 0 ? formatMoney(o.refunded) : '—'),
        },
      ]),
];

export const viewHeading = (title: string, ...extra: readonly (Node | string)[]): HTMLElement =>
  h('div', { class: 'view-head' }, h('h1', { tabindex: -1 }, title), ...extra);

/** `Updated 10:04:12` in a polite live region, so screen readers hear that the data changed. */
export const updatedLine = (): HTMLElement => h('p', { class: 'muted updated', role: 'status' });

export const markUpdated = (line: HTMLElement, now: number, what = 'Updated'): void => {
  line.textContent = `${what} ${new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' }).format(new Date(now))}`;
};

/**
 * Cursor paging only goes forward, so the cursors of the pages already seen are kept for "previous". The
 * controls are built once and updated in place, so keyboard focus stays on the button that was pressed.
 */
export class Pager {
  private cursors: (string | undefined)[] = [undefined];
  private next: string | undefined;
  private readonly previousButton = h('button', { type: 'button' }, '← Previous');
  private readonly nextButton = h('button', { type: 'button' }, 'Next →');
  private readonly label = h('span', {});
  readonly element: HTMLElement;

  constructor(label: string, go: () => void) {
    this.element = h('nav', { class: 'pager', 'aria-label': label }, this.previousButton, this.label, this.nextButton);
    this.previousButton.addEventListener('click', () => {
      if (this.cursors.length > 1) this.cursors.pop();
      go();
    });
    this.nextButton.addEventListener('click', () => {
      if (this.next !== undefined) this.cursors.push(this.next);
      go();
    });
    this.show(undefined);
  }

  get current(): string | undefined {
    return this.cursors[this.cursors.length - 1];
  }

  reset(): void {
    this.cursors = [undefined];
    this.show(undefined);
  }

  /** after a page loaded: its `next` cursor, if any */
  show(next: string | undefined): void {
    this.next = next;
    this.previousButton.disabled = this.cursors.length === 1;
    this.nextButton.disabled = next === undefined;
    this.label.textContent = `Page ${this.cursors.length}`;
    // a disabled button drops focus to the page's start; hand it to the other button instead
    if (document.activeElement === this.nextButton && this.nextButton.disabled) this.previousButton.focus();
    if (document.activeElement === this.previousButton && this.previousButton.disabled) this.nextButton.focus();
  }
}

/** Remembers what was shown last, so an update that changed nothing leaves the table (and screen readers) alone. */
export class LastShown {
  private last: string | undefined;

  /** true when `value` differs from what was shown before (and remembers it) */
  changed(value: unknown): boolean {
    const json = JSON.stringify(value);
    if (json === this.last) return false;
    this.last = json;
    return true;
  }

  /** something else (an error) replaced the content: the next value is shown whatever it is */
  forget(): void {
    this.last = undefined;
  }
}

/**
 * Runs `task` one at a time: a call while it runs asks for one more run afterwards (however many calls came), so
 * answers never land out of order and the newest filters, page or data always render last.
 */
export const oneAtATime = (task: () => Promise<void>): (() => Promise<void>) => {
  let running: Promise<void> | undefined;
  let again = false;
  const start = (): Promise<void> => {
    running = (async () => {
      try {
        await task();
      } finally {
        if (again) {
          again = false;
          await start();
        } else {
          running = undefined;
        }
      }
    })();
    return running;
  };
  return () => {
    if (running === undefined) return start();
    again = true;
    return running;
  };
};
