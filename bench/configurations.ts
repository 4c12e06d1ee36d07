import type { BenchDatabase } from './database.ts';
import type { Backends } from './receivers.ts';

export interface Configuration {
  /** Short name, for --only and the JSON. */
  name: string;
  label: string;
  /** How the app is started: as `npm start` runs it, or unmodified under the zero-code register hook. */
  launch: 'npm-start' | 'zero-code';
  /** What it sets, given where its backends listen. */
  env(backends: Backends): Record<string, string>;
  /** Which receiver's span count is this configuration's. */
  spansFrom: 'otlp' | 'sentry' | 'none';
}

/**
 * Every configuration the benchmark compares. The telemetry defaults are left alone (batch
 * delays, queue sizes, sampling at 100%): what is measured is what a user gets.
 */
export const CONFIGURATIONS: Configuration[] = [
  { name: 'off', label: 'telemetry off', launch: 'npm-start', env: () => ({}), spansFrom: 'none' },
  {
    name: 'otlp',
    label: 'OTLP',
    launch: 'npm-start',
    env: (backends) => ({ OTEL_EXPORTER_OTLP_ENDPOINT: backends.otlp }),
    spansFrom: 'otlp',
  },
  {
    name: 'sentry-otlp',
    label: 'Sentry + OTLP',
    launch: 'npm-start',
    env: (backends) => ({ SENTRY_DSN: backends.sentryDsn, OTEL_EXPORTER_OTLP_ENDPOINT: backends.otlp, OTEL_TRACES_EXPORTER: 'sentry,otlp' }),
    spansFrom: 'otlp',
  },
  {
    name: 'sentry-native',
    label: 'Sentry native bridge',
    launch: 'npm-start',
    env: (backends) => ({ SENTRY_DSN: backends.sentryDsn, TELEMETRY_TRACER_PROVIDER: 'sentry', OTEL_TRACES_EXPORTER: 'sentry' }),
    spansFrom: 'sentry',
  },
  {
    name: 'blackholed',
    label: 'Sentry + OTLP, blackholed',
    launch: 'npm-start',
    env: (backends) => ({ SENTRY_DSN: backends.blackholeDsn, OTEL_EXPORTER_OTLP_ENDPOINT: backends.blackhole, OTEL_TRACES_EXPORTER: 'sentry,otlp' }),
    spansFrom: 'none',
  },
  {
    name: 'zero-code',
    label: 'zero-code auto-instrumentation',
    launch: 'zero-code',
    env: (backends) => ({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: backends.otlp, OTEL_SERVICE_NAME: 'convonet' }),
    spansFrom: 'otlp',
  },
];

/** A checkout of the project whose app is measured: this one, or the one given as --baseline. */
export interface Checkout {
  name: 'this' | 'baseline';
  root: string;
  /** With the checkout's own migrations and seed: the schema may differ between the two. */
  createDatabase(callers: number): Promise<BenchDatabase>;
}

/** One configuration of one checkout: what each app start measures. */
export interface Variant {
  /** The configuration's name, with `@baseline` for the baseline's. */
  name: string;
  checkout: Checkout;
  configuration: Configuration;
}
