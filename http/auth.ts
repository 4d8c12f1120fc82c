/** What an API key may do; `admin` grants every scope. Keys come from configuration (`API_KEYS`). */
export type Scope =
  'orders:write' | 'refunds:write' | 'inventory:write' | 'marketing:write' | 'read' | 'metrics' | 'admin';
export const scopes: readonly Scope[] = [
  'orders:write',
  'refunds:write',
  'inventory:write',
  'marketing:write',
  'read',
  'metrics',
  'admin',
];

export interface ApiKey {
  readonly key: string;
  readonly scopes: ReadonlySet<Scope>;
  /**
   * The sales channels the key's orders may go through (`API_KEYS="k=orders:write@mall|app"`); absent: any. With one,
   * a placement that names none goes through it; with several, a placement must name one of them.
   */
  readonly channels?: ReadonlySet<string>;
}
