/// <reference lib="dom" />
// The line above lets the root tsconfig (Node libs only) type-check this browser module too.
import { ApiError, describeError } from '../api';
import { dataTable, h, note, setChildren, type Column } from '../dom';
import { formatCount, formatDateTime } from '../format';
import type { DeadLetter } from '../types';
import type { Changed, View, ViewContext } from '../view';
import { markUpdated, oneAtATime, updatedLine, viewHeading } from './common';

const streamOf = (d: DeadLetter): string => d.streamId ?? d.event?.streamId ?? '—';
const typeOf = (d: DeadLetter): string => d.type ?? d.event?.type ?? '—';

/** Inputs a consumer gave up on, with a retry per letter (admin scope). */
export const deadLettersView = (ctx: ViewContext): View => {
  const controller = new AbortController();
  const { signal } = controller;
  const updated = updatedLine();
  const results = h('div', {});
  // role=status: the outcome of a retry is read out without moving focus away from the table
  const outcome = h('div', { role: 'status', class: 'outcome' });

  setChildren(
    ctx.root,
    viewHeading('Dead letters', updated),
    h(
      'section',
      { class: 'card', 'aria-label': 'Dead letters' },
      h(
        'p',
        { class: 'muted' },
        'Events a saga or projection could not handle after its retries. Later events of the same stream wait behind them. Retrying needs an API key with the admin scope.',
      ),
      outcome,
      results,
    ),
  );

  const retry = async (letter: DeadLetter, button: HTMLButtonElement): Promise<void> => {
    button.disabled = true;
    try {
      await ctx.api.post(`dead-letters/${encodeURIComponent(String(letter.id))}/retry`);
      setChildren(outcome, note(`Dead letter ${letter.id} was handed back to ${letter.consumer}.`, 'info'));
      await load();
    } catch (error) {
      const text =
        error instanceof ApiError && error.status === 403
          ? 'Retrying needs an API key with the admin scope (403 Forbidden).'
          : error instanceof ApiError && error.status === 404
            ? `Dead letter ${letter.id} is gone (already retried?), or retrying is not available on this server (404).`
            : `Retry of dead letter ${letter.id} failed: ${describeError(error)}`;
      setChildren(outcome, note(text, 'error'));
      button.disabled = false;
    }
  };

  const columns: Column<DeadLetter>[] = [
    { label: 'Id', cell: (d) => h('span', { class: 'mono' }, String(d.id)) },
    { label: 'Consumer', cell: (d) => h('span', { class: 'mono' }, d.consumer) },
    { label: 'Stream', cell: (d) => h('span', { class: 'mono' }, streamOf(d)) },
    { label: 'Event', cell: typeOf },
    { label: 'Error', cell: (d) => h('span', { class: 'error-text' }, d.error) },
    { label: 'Attempts', numeric: true, cell: (d) => formatCount(d.attempts) },
    { label: 'Last failure', cell: (d) => formatDateTime(d.lastFailureAt ?? d.lastFailedAt) },
    {
      label: 'Action',
      cell: (d) => {
        const button = h('button', { type: 'button', 'aria-label': `Retry dead letter ${d.id}` }, 'Retry');
        button.addEventListener('click', () => {
          void retry(d, button);
        });
        return button;
      },
    },
  ];

  const load = oneAtATime(async (): Promise<void> => {
    try {
      const answer = await ctx.api.get<{ items?: readonly DeadLetter[] }>('dead-letters', signal);
      const items = answer.body.items ?? [];
      setChildren(
        results,
        dataTable(columns, items, { caption: 'Dead letters', empty: 'No dead letters: every consumer is keeping up.' }),
      );
      markUpdated(updated, ctx.now());
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        setChildren(
          results,
          note('Dead-letter handling is not available on this server: GET /v1/dead-letters answered 404.', 'warn'),
        );
      } else if (error instanceof ApiError && error.status === 403) {
        setChildren(results, note(`This API key may not list dead letters: ${describeError(error)}`, 'warn'));
      } else ctx.failed(error, results);
    }
  });

  return {
    title: 'Dead letters',
    // failures happen in any consumer, so any progress may have changed the list
    async refresh(_changed: Changed) {
      await load();
    },
    dispose() {
      controller.abort();
    },
  };
};
