export const cliSubcommands = [
  'serve',
  'command-api',
  'relay',
  'projector',
  'saga-runner',
  'read-api',
  'projections',
  'dlq',
] as const;
