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

/** Inputs a consumer gave up on, with a retry and a discard per letter (admin scope). */
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
        'Events a saga or projection could not handle after its retries. Later events of the same stream wait behind them. Retrying or discarding needs an API key with the admin scope.',
      ),
      outcome,
      results,
    ),
  );

  /** One retry or discard at a time; its outcome is announced, and the list reloaded when something changed. */
  const act = async (
    letter: DeadLetter,
    action: 'retry' | 'discard',
    buttons: readonly HTMLButtonElement[],
  ): Promise<void> => {
    for (const b of buttons) b.disabled = true;
    try {
      const answer = await ctx.api.post<{ retried?: readonly number[] }>(
        `dead-letters/${encodeURIComponent(String(letter.id))}/${action}`,
      );
      const retried = answer.body.retried ?? [];
      const text =
        action === 'discard'
          ? `Dead letter ${letter.id} was discarded.`
          : retried.length > 1
            ? `Dead letter ${letter.id} was handed back to ${letter.consumer}, with ${retried.length - 1} parked behind it.`
            : `Dead letter ${letter.id} was handed back to ${letter.consumer}.`;
      setChildren(outcome, note(text, 'info'));
      await load();
    } catch (error) {
      const verb = action === 'retry' ? 'Retrying' : 'Discarding';
      const text =
        error instanceof ApiError && (error.status === 401 || error.status === 403)
          ? `${verb} needs an API key with the admin scope (${error.status} ${error.title}).`
          : error instanceof ApiError && error.status === 404
            ? `Dead letter ${letter.id} is gone (already retried or discarded?), or this server does not handle dead letters (404).`
            : error instanceof ApiError && error.status === 409
              ? `${error.title} (409): ${error.message}`
              : `${verb} dead letter ${letter.id} failed: ${describeError(error)}`;
      setChildren(outcome, note(text, 'error'));
      for (const b of buttons) b.disabled = false;
      // a letter that failed again has a new error and attempt count
      if (error instanceof ApiError && error.status === 409) await load();
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
        const retry = h('button', { type: 'button', 'aria-label': `Retry dead letter ${d.id}` }, 'Retry');
        const discard = h(
          'button',
          { type: 'button', class: 'secondary', 'aria-label': `Discard dead letter ${d.id}` },
          'Discard',
        );
        const buttons = [retry, discard];
        retry.addEventListener('click', () => {
          void act(d, 'retry', buttons);
        });
        discard.addEventListener('click', () => {
          // dropping an input for good cannot be undone
          if (window.confirm(`Discard dead letter ${d.id} for good? Its input will never be handled.`)) {
            void act(d, 'discard', buttons);
          }
        });
        return h('span', { class: 'actions' }, retry, discard);
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
          note(
            'Dead-letter handling is not available on this server: GET /v1/dead-letters answered 404. ' +
              'In distributed mode the saga runner serves the dead letters, on its own port.',
            'warn',
          ),
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
