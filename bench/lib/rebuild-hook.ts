import { benchRebuild, type ReadStoreFactory } from '../rebuild';
import { errorText, int, ratio, row, type TableRow } from './report';

/** `bench/rebuild.ts` (benchRebuild) folded into this bench's table: one row per projection against the raw read. */
export interface RebuildFigures {
  readonly events: number;
  readonly rawReadPerSecond: number;
  readonly projections: readonly {
    readonly name: string;
    readonly eventsPerSecond: number;
    readonly documents: number;
  }[];
  /** the slowest projection: the goal holds only if every projection meets it */
  readonly slowestPerSecond: number;
}

export type RebuildOutcome =
  { readonly ok: true; readonly figures: RebuildFigures } | { readonly ok: false; readonly reason: string };

export const runRebuildBench = async (events: number, target?: ReadStoreFactory): Promise<RebuildOutcome> => {
  try {
    const r = await benchRebuild(events, target);
    return {
      ok: true,
      figures: {
        events: r.events,
        rawReadPerSecond: r.rawEventsPerSecond,
        projections: r.projections,
        slowestPerSecond: Math.min(...r.projections.map((p) => p.eventsPerSecond)),
      },
    };
  } catch (error) {
    return { ok: false, reason: errorText(error).split('\n')[0] ?? 'failed' };
  }
};

/** `goal`: a share of the raw read (embedded), or events per second (into FerretDB). */
export const rebuildRows = (
  r: RebuildOutcome,
  goal: number | { readonly perSecond: number },
  label = 'projection rebuild',
): TableRow[] => {
  if (!r.ok) return [row(label, `not measured: ${r.reason}`)];
  const f = r.figures;
  const baseline = `${int(f.rawReadPerSecond)} (raw read + JSON.parse)`;
  const wanted = typeof goal === 'number' ? goal * f.rawReadPerSecond : goal.perSecond;
  return [
    row(`${label}, ${int(f.events)} events, slowest projection`, `${int(f.slowestPerSecond)} events/s`, {
      baseline,
      ratio: ratio(f.slowestPerSecond, f.rawReadPerSecond),
      goal: typeof goal === 'number' ? `≥ ${goal * 100} % of raw read` : `≥ ${int(goal.perSecond)} events/s`,
      met: f.slowestPerSecond >= wanted,
    }),
    ...f.projections.map((p) =>
      row(`  rebuild ${p.name} (${int(p.documents)} docs)`, `${int(p.eventsPerSecond)} events/s`, {
        baseline,
        ratio: ratio(p.eventsPerSecond, f.rawReadPerSecond),
      }),
    ),
  ];
};
