/**
 * What telemetry adds to the OpenTelemetry SDK's own configuration, read once before anything
 * else loads. NodeSDK and the exporters read the standard variables themselves (endpoints,
 * headers, timeouts, protocols, samplers, batch queues, resource, propagators, instrumentations);
 * this module only decides what they cannot: the `sentry` backend, Sentry's own settings, the
 * TELEMETRY_* additions, and whether anything is on at all. It refuses, at start, values the SDK
 * would only warn about at runtime. No SDK is imported here: deciding that telemetry is off must
 * cost nothing.
 */
/** Span backends. `otlp` and `console` are the specification's names; `sentry` is ours. */
export type TraceBackend = 'sentry' | 'otlp' | 'console';
/** Log backends: OTLP, Sentry logs, or `console` (pino already writes every record to stdout). */
export type LogBackend = 'sentry' | 'otlp' | 'console';

/**
 * Who owns the global tracer provider:
 * - `opentelemetry`: NodeSDK; spans go to every backend listed (Sentry over OTLP).
 * - `sentry`: Sentry's `SentryTracerProvider`, so the same API spans become native Sentry spans
 *   (Sentry sampling, span streaming, Spotlight). It must be the only tracer provider, so no
 *   other span backend can be combined with it.
 */
export type TracerProviderOwner = 'opentelemetry' | 'sentry';

export interface TelemetryConfig {
  /** Span backends, in the order given; empty means no SDK at all. */
  traces: TraceBackend[];
  logs: LogBackend[];
  /**
   * `env`: OTEL_METRICS_EXPORTER is set, and NodeSDK reads it (otlp, console, prometheus, none).
   * Otherwise metrics follow the span backends: OTLP when `otlp` is one of them, else none.
   */
  metrics: 'env' | 'otlp' | 'none';
  tracerProvider: TracerProviderOwner;
  sentry?: { dsn?: string; spotlight: boolean };
  /** OTEL_TRACES_SAMPLER as Sentry's `tracesSampleRate`, for the native bridge. */
  sentrySampleRate: number;
  environment?: string;
  release?: string;
  captureContent: boolean;
  /** Key for the phone-number hash; a random per-process key when unset. */
  hashKey?: string;
  shutdownTimeoutMs: number;
  /** How long a request to Sentry may take before it counts as failed. */
  sentryTimeoutMs: number;
  /** Host:port of every backend, so requests to them are not traced as app traffic. */
  backendHosts: string[];
  /** Names of the OTLP headers the OTLP backend gets, so that none of them reaches Sentry. */
  otlpHeaderNames: string[];
  /** Values removed wherever they appear in telemetry: see `secretsFromEnvironment`. */
  knownSecrets: string[];
}

export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
}

const TRACE_BACKENDS = new Set(['sentry', 'otlp', 'console', 'none']);
const LOG_BACKENDS = new Set(['sentry', 'otlp', 'console', 'none']);
const PROTOCOLS = new Set(['grpc', 'http/protobuf', 'http/json']);
const SAMPLERS = new Set([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);
const SIGNALS = ['TRACES', 'METRICS', 'LOGS'] as const;

/** `null` when telemetry is off: OTEL_SDK_DISABLED=true, `none`, or no backend configured. */
export function readTelemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig | null {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  if (parseSdkDisabled(value('OTEL_SDK_DISABLED'))) return null;

  const dsn = value('SENTRY_DSN');
  const spotlight = parseFlag(value('SENTRY_SPOTLIGHT'), 'SENTRY_SPOTLIGHT');
  const otlpEndpoints = ['OTEL_EXPORTER_OTLP_ENDPOINT', ...SIGNALS.map((signal) => `OTEL_EXPORTER_OTLP_${signal}_ENDPOINT`)]
    .map((name) => [name, value(name)] as const)
    .filter((entry): entry is readonly [string, string] => entry[1] !== undefined);
  const otlpConfigured = value('OTEL_EXPORTER_OTLP_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const tracerProvider = parseTracerProvider(value('TELEMETRY_TRACER_PROVIDER'));

  const traces = parseList(value('OTEL_TRACES_EXPORTER'), 'OTEL_TRACES_EXPORTER', TRACE_BACKENDS) as TraceBackend[] | undefined ??
    inferTraces({ dsn, otlpConfigured, tracerProvider });
  if (traces.length === 0) return null;

  if (traces.includes('sentry') && !dsn && !(tracerProvider === 'sentry' && spotlight)) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_EXPORTER includes "sentry" but SENTRY_DSN is not set (set SENTRY_DSN, or remove "sentry")',
    );
  }
  if (tracerProvider === 'sentry') {
    const others = traces.filter((backend) => backend !== 'sentry');
    if (!traces.includes('sentry') || others.length > 0) {
      throw new TelemetryConfigError(
        `TELEMETRY_TRACER_PROVIDER=sentry makes Sentry's tracer provider the only one, so spans can go to Sentry alone; ` +
          `OTEL_TRACES_EXPORTER=${traces.join(',')} asks for ${others.join(',') || 'no sentry'} too. ` +
          `Use OTEL_TRACES_EXPORTER=sentry, or TELEMETRY_TRACER_PROVIDER=opentelemetry to send spans to several backends.`,
      );
    }
    if (!dsn && !spotlight) {
      throw new TelemetryConfigError('TELEMETRY_TRACER_PROVIDER=sentry needs SENTRY_DSN (or SENTRY_SPOTLIGHT=true)');
    }
  }

  // What the SDK would only warn about while dropping data, refused before anything starts.
  for (const name of ['OTEL_EXPORTER_OTLP_PROTOCOL', ...SIGNALS.map((signal) => `OTEL_EXPORTER_OTLP_${signal}_PROTOCOL`)]) {
    const protocol = value(name);
    if (protocol !== undefined && !PROTOCOLS.has(protocol)) {
      throw new TelemetryConfigError(`${name}=${protocol}: use grpc, http/protobuf (the default) or http/json`);
    }
  }
  for (const [name, url] of otlpEndpoints) requireHttpUrl(name, url);
  if (dsn) requireHttpUrl('SENTRY_DSN', dsn);
  const samplerName = value('OTEL_TRACES_SAMPLER');
  if (samplerName !== undefined && !SAMPLERS.has(samplerName)) {
    throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER=${samplerName}: use one of ${[...SAMPLERS].join(', ')}`);
  }
  const ratio = parseRatio(value('OTEL_TRACES_SAMPLER_ARG'));

  // Logs follow the span backends unless OTEL_LOGS_EXPORTER says otherwise.
  const logs = (parseList(value('OTEL_LOGS_EXPORTER'), 'OTEL_LOGS_EXPORTER', LOG_BACKENDS) as LogBackend[] | undefined) ??
    traces.filter((backend): backend is LogBackend => backend === 'otlp' || backend === 'sentry');
  if (logs.includes('sentry') && !traces.includes('sentry')) {
    throw new TelemetryConfigError('OTEL_LOGS_EXPORTER includes "sentry": add sentry to OTEL_TRACES_EXPORTER (and set SENTRY_DSN) too');
  }

  return {
    traces,
    logs: tracerProvider === 'sentry' ? logs.filter((backend) => backend === 'sentry') : logs,
    metrics: tracerProvider === 'sentry' ? 'none' : value('OTEL_METRICS_EXPORTER') ? 'env' : traces.includes('otlp') ? 'otlp' : 'none',
    tracerProvider,
    sentry: traces.includes('sentry') ? { dsn, spotlight } : undefined,
    sentrySampleRate: sampleRate(samplerName, ratio),
    environment: value('SENTRY_ENVIRONMENT') ?? value('RENDER_ENVIRONMENT') ?? value('NODE_ENV'),
    release: value('SENTRY_RELEASE') ?? value('RENDER_GIT_COMMIT'),
    captureContent: parseFlag(value('TELEMETRY_CAPTURE_CONTENT'), 'TELEMETRY_CAPTURE_CONTENT'),
    hashKey: value('TELEMETRY_HASH_KEY'),
    shutdownTimeoutMs: parsePositiveInt(value('TELEMETRY_SHUTDOWN_TIMEOUT_MS'), 'TELEMETRY_SHUTDOWN_TIMEOUT_MS', 5_000),
    sentryTimeoutMs: parsePositiveInt(value('TELEMETRY_SENTRY_TIMEOUT_MS'), 'TELEMETRY_SENTRY_TIMEOUT_MS', 10_000),
    backendHosts: [dsn, ...otlpEndpoints.map(([, url]) => url)].flatMap((url) => hostOf(url)),
    otlpHeaderNames: ['OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'].flatMap((name) =>
      Object.keys(headerPairs(value(name))),
    ),
    knownSecrets: secretsFromEnvironment(env),
  };
}

// TWILIO_AUTH_TOKEN, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_HEADERS, ...
const SECRET_VARIABLE = /(TOKEN|SECRET|PASSWORD|API_KEY|_KEY$|HEADERS$)/;

/**
 * Values of secret-looking environment variables, removed wherever they show up: the surest way
 * to keep the Twilio auth token or an API key out of an error message or a URL. Of a `*_HEADERS`
 * variable (key=value,...), the values are the secrets; of
 * DATABASE_URL, the password.
 */
export function secretsFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!raw || !SECRET_VARIABLE.test(name)) continue;
    if (name.endsWith('HEADERS')) secrets.push(...Object.values(headerPairs(raw)));
    else secrets.push(raw);
  }
  const databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    try {
      const password = decodeURIComponent(new URL(databaseUrl).password);
      if (password) secrets.push(password);
    } catch {
      // Not a URL: the app's own config validation reports it.
    }
  }
  return secrets;
}

/** The start-up line, so an operator sees at a glance what is on. */
export function describeTelemetry(config: TelemetryConfig | null, env: NodeJS.ProcessEnv = process.env): string {
  if (!config) return 'telemetry: off';
  const sampler = env.OTEL_TRACES_SAMPLER?.trim() || 'parentbased_always_on';
  const parts = [
    `exporters=${config.traces.join(',')}`,
    `tracer_provider=${config.tracerProvider}`,
    `sampler=${sampler}${sampler.endsWith('traceidratio') ? `:${env.OTEL_TRACES_SAMPLER_ARG?.trim() || '1'}` : ''}`,
    `logs=${config.logs.join(',') || 'none'}`,
    `metrics=${config.metrics === 'env' ? env.OTEL_METRICS_EXPORTER?.trim() : config.metrics}`,
    `environment=${config.environment ?? 'unset'}`,
    `release=${config.release ?? 'unset'}`,
    `capture_content=${config.captureContent}`,
  ];
  return `telemetry: ${parts.join(' ')}`;
}

/**
 * OTEL_TRACES_EXPORTER unset: the specification's default (`otlp`) when an OTLP endpoint is
 * configured, plus `sentry` when a DSN is; with neither, nothing would receive the data, so off.
 */
function inferTraces({ dsn, otlpConfigured, tracerProvider }: { dsn?: string; otlpConfigured?: string; tracerProvider: TracerProviderOwner }): TraceBackend[] {
  const inferred: TraceBackend[] = [];
  if (dsn || tracerProvider === 'sentry') inferred.push('sentry');
  if (otlpConfigured && tracerProvider !== 'sentry') inferred.push('otlp');
  return inferred;
}

/** A comma-separated exporter list as the specification reads it: `none` alone means none. */
function parseList(raw: string | undefined, name: string, allowed: Set<string>): string[] | undefined {
  if (raw === undefined) return undefined;
  const names = [...new Set(raw.split(',').map((entry) => entry.trim().toLowerCase()).filter(Boolean))];
  for (const entry of names) {
    if (!allowed.has(entry)) {
      throw new TelemetryConfigError(`${name}: unknown exporter "${entry}" (use a comma-separated list of ${[...allowed].join(', ')})`);
    }
  }
  if (names.includes('none')) {
    if (names.length > 1) throw new TelemetryConfigError(`${name}=${raw}: "none" cannot be combined with other exporters`);
    return [];
  }
  return names;
}

function parseTracerProvider(raw: string | undefined): TracerProviderOwner {
  if (raw === undefined || raw === 'opentelemetry') return 'opentelemetry';
  if (raw === 'sentry') return 'sentry';
  throw new TelemetryConfigError(`TELEMETRY_TRACER_PROVIDER=${raw}: use opentelemetry (default) or sentry`);
}

function parseRatio(raw: string | undefined): number {
  if (raw === undefined) return 1;
  const ratio = Number(raw);
  if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
    throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER_ARG=${raw}: must be a number between 0 and 1`);
  }
  return ratio;
}

/** Sentry's sampler is parent-based already: it follows an incoming sampling decision. */
function sampleRate(sampler: string | undefined, ratio: number): number {
  if (sampler?.endsWith('always_off')) return 0;
  if (sampler?.endsWith('traceidratio')) return ratio;
  return 1;
}

// OpenTelemetry's booleans: only "true", in any case, is true; any other value is false, with a warning.
// https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#boolean
function parseSdkDisabled(raw: string | undefined): boolean {
  const lower = raw?.toLowerCase();
  if (lower !== undefined && lower !== 'true' && lower !== 'false') {
    process.stderr.write(`telemetry: OTEL_SDK_DISABLED=${raw} is read as false, as OpenTelemetry specifies: set true to switch telemetry off\n`);
  }
  return lower === 'true';
}

function parseFlag(raw: string | undefined, name: string): boolean {
  if (raw === undefined) return false;
  const lower = raw.toLowerCase();
  if (['true', '1', 'yes'].includes(lower)) return true;
  if (['false', '0', 'no'].includes(lower)) return false;
  // Sentry accepts a Spotlight sidecar URL in SENTRY_SPOTLIGHT; any other value means "on".
  if (name === 'SENTRY_SPOTLIGHT') return true;
  throw new TelemetryConfigError(`${name}=${raw}: use true or false`);
}

function parsePositiveInt(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined) return fallback;
  const parsed = Number(raw);
  if (!Number.isInteger(parsed) || parsed <= 0) {
    throw new TelemetryConfigError(`${name}=${raw}: must be a positive whole number of milliseconds`);
  }
  return parsed;
}

/**
 * `localhost:4318` parses as a URL whose scheme is `localhost:`, and an exporter given it fails
 * on every export: only http(s) URLs are accepted. The error never repeats a DSN's key.
 */
function requireHttpUrl(name: string, raw: string): void {
  let protocol: string | undefined;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    protocol = undefined;
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    const shown = raw.replace(/\/\/[^@/]*@/, '//***@');
    throw new TelemetryConfigError(`${name}=${shown}: not an http:// or https:// URL (write the scheme, e.g. http://localhost:4318)`);
  }
}

/**
 * `key=value,key2=value2` as the exporters read OTEL_EXPORTER_OTLP_*HEADERS (`;` starts
 * metadata; each side URL-decoded), without loading the SDK to do it.
 */
function headerPairs(raw: string | undefined): Record<string, string> {
  const pairs: Record<string, string> = {};
  for (const entry of raw?.split(',') ?? []) {
    const pair = entry.split(';', 1)[0] ?? '';
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const key = decoded(pair.slice(0, separator).trim());
    const value = decoded(pair.slice(separator + 1).trim());
    if (key && value) pairs[key] = value;
  }
  return pairs;
}

function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function hostOf(url: string | undefined): string[] {
  if (!url) return [];
  const parsed = new URL(url);
  const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
  return [`${parsed.hostname}:${port}`];
}
