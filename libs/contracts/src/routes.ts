/** The services behind the gateway and the public path prefixes each owns. */
export const UPSTREAM_PREFIXES = {
  signals: ['/v1/instruments', '/v1/bars', '/v1/indicators', '/v1/signals', '/v1/seasonality', '/v1/jobs', '/v1/live'],
  backtest: ['/v1/strategies', '/v1/backtests', '/v1/sweeps', '/v1/validations', '/v1/portfolios'],
  monitor: ['/v1/monitor'],
} as const;

export type UpstreamName = keyof typeof UPSTREAM_PREFIXES;
export const UPSTREAM_NAMES = Object.keys(UPSTREAM_PREFIXES) as UpstreamName[];
