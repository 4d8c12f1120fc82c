export const cliSubcommands = [
  'serve',
  'command-api',
  'relay',
  'projector',
  'saga-runner',
  'read-api',
  'payment-simulator',
  'projections',
  'dlq',
] as const;
