/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Readonly<Record<string, string | number | boolean | null | undefined>>;

const append = (parent: Node, children: readonly (Child | readonly Child[])[]): void => {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    // text nodes, never innerHTML: every value shown comes from the API and may hold markup
    parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
};

/** `h('a', { href: '#/orders' }, 'Orders')`; `false`/`null` attributes are left out, `true` ones set empty. */
export const h = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: readonly (Child | readonly Child[])[]
): HTMLElementTagNameMap[K] => {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
};

/** What makes a focusable element "the same one" after a re-render: its kind, target and label. */
const focusKey = (element: Element): string => {
  const named = element.getAttribute('href') ?? element.getAttribute('aria-label') ?? element.getAttribute('id');
  // the text only when nothing else names it: a scroll region's text changes with every update
  return `${element.tagName}|${named ?? element.textContent}`;
};

/**
 * Replaces the children of `parent`. Live updates re-render while people use the page: when focus was inside,
 * it moves to the equivalent element of the new content (same link, same button), not back to the page's start.
 */
export const setChildren = (parent: Element, ...children: readonly (Child | readonly Child[])[]): void => {
  const active = document.activeElement;
  const key = active !== null && active !== parent && parent.contains(active) ? focusKey(active) : undefined;
  parent.replaceChildren();
  append(parent, children);
  if (key === undefined) return;
  for (const candidate of parent.querySelectorAll<HTMLElement>('a[href], button, input, select, [tabindex]')) {
    if (focusKey(candidate) === key) {
      candidate.focus({ preventScroll: true });
      return;
    }
  }
};

export interface Column<T> {
  readonly label: string;
  readonly cell: (row: T) => Child | readonly Child[];
  /** right-aligned, tabular figures */
  readonly numeric?: boolean;
}

export interface TableOptions<T> {
  readonly caption: string;
  /** shown visually too; otherwise the caption is for screen readers only */
  readonly showCaption?: boolean;
  readonly empty: string;
  readonly rowClass?: (row: T) => string | undefined;
  /** a click anywhere on the row follows this link; the keyboard uses the link inside the row */
  readonly rowLink?: (row: T) => string;
}

/** A data table with a caption, column headers and a scroll container that keyboard users can focus. */
export const dataTable = <T>(
  columns: readonly Column<T>[],
  rows: readonly T[],
  options: TableOptions<T>,
): HTMLElement => {
  const head = h(
    'tr',
    {},
    ...columns.map((c) => h('th', { scope: 'col', class: c.numeric === true ? 'num' : null }, c.label)),
  );
  const body = rows.map((row) => {
    const link = options.rowLink?.(row);
    const tr = h(
      'tr',
      { class: [options.rowClass?.(row), link === undefined ? undefined : 'linked'].filter(Boolean).join(' ') || null },
      ...columns.map((c) => h('td', { class: c.numeric === true ? 'num' : null }, c.cell(row))),
    );
    if (link !== undefined) {
      tr.addEventListener('click', (event) => {
        // a click on the link itself (or on a button) already does its job
        if (event.target instanceof Element && event.target.closest('a, button') !== null) return;
        location.hash = link;
      });
    }
    return tr;
  });
  const table = h(
    'table',
    {},
    h('caption', { class: options.showCaption === true ? null : 'visually-hidden' }, options.caption),
    h('thead', {}, head),
    h(
      'tbody',
      {},
      body.length > 0 ? body : h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, options.empty)),
    ),
  );
  // role=region + label + tabindex: a table wider than the screen can be scrolled with the keyboard
  return h('div', { class: 'table-scroll', role: 'region', 'aria-label': options.caption, tabindex: 0 }, table);
};

export const badge = (text: string, tone: string): HTMLElement => h('span', { class: `badge ${tone}` }, text);

/** An inline message inside a card, e.g. why a section could not load. */
export const note = (text: string, tone: 'info' | 'error' | 'warn' = 'info'): HTMLElement =>
  h('p', { class: `note ${tone}`, role: tone === 'error' ? 'alert' : null }, text);
