/**
 * The telemetry configuration, read once from the environment before anything else loads.
 * It follows OpenTelemetry's own variables where one exists (OTEL_*), Sentry's for Sentry
 * (SENTRY_*), and Render's as fallbacks; the few of our own start with TELEMETRY_. No SDK is
 * imported here: deciding that telemetry is off must cost nothing.
 */

export type Exporter = 'sentry' | 'otlp' | 'console';

/**
 * Who owns the global tracer provider:
 * - `opentelemetry`: the OpenTelemetry SDK; spans go to every exporter listed (Sentry over OTLP).
 * - `sentry`: Sentry's `SentryTracerProvider`, so the same API spans become native Sentry spans
 *   (Sentry sampling, span streaming, Spotlight). It must be the only tracer provider, so no
 *   other span exporter can be combined with it.
 */
export type TracerProviderOwner = 'opentelemetry' | 'sentry';

export type OtlpProtocol = 'http/protobuf' | 'http/json';

export type OtlpSignal = 'traces' | 'logs' | 'metrics';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export interface TelemetryConfig {
  /** Span exporters, in the order given; empty means no SDK at all. */
  exporters: Exporter[];
  tracerProvider: TracerProviderOwner;
  /** Whether logs / metrics go to the OTLP endpoint (only when `otlp` is an exporter). */
  otlpLogs: boolean;
  otlpMetrics: boolean;
  /** Whether pino records are forwarded to Sentry logs (only when `sentry` is an exporter). */
  sentryLogs: boolean;
  otlpProtocol: OtlpProtocol;
  metricExportIntervalMs: number;
  sampler: { name: SamplerName; ratio: number };
  sentry?: { dsn?: string; spotlight: boolean };
  serviceName: string;
  environment?: string;
  release?: string;
  captureContent: boolean;
  /** Key for the phone-number hash; a random per-process key when unset. */
  hashKey?: string;
  shutdownTimeoutMs: number;
  /** OTEL_LOG_LEVEL: the SDK's own diagnostics on stderr, off unless asked for. */
  diagLogLevel?: 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
  /** Host (and host:port) of every backend, so requests to them are not traced as app traffic. */
  backendHosts: string[];
  /**
   * Headers for the OTLP backend, per signal: OTEL_EXPORTER_OTLP_HEADERS with the signal's own
   * OTEL_EXPORTER_OTLP_<SIGNAL>_HEADERS over it. They usually hold that vendor's API key, so they
   * go to the OTLP exporters and never to Sentry.
   */
  otlpHeaders: Record<OtlpSignal, Record<string, string>>;
  /** Values removed wherever they appear in telemetry: see `secretsFromEnvironment`. */
  knownSecrets: string[];
}

export class TelemetryConfigError extends Error {
  override name = 'TelemetryConfigError';
}

const EXPORTERS = new Set(['sentry', 'otlp', 'console', 'none']);
const SAMPLERS = new Set<string>([
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
]);

/** `null` when telemetry is off: OTEL_SDK_DISABLED=true, `none`, or no backend configured. */
export function readTelemetryConfig(env: NodeJS.ProcessEnv = process.env): TelemetryConfig | null {
  const value = (name: string): string | undefined => {
    const raw = env[name]?.trim();
    return raw === '' ? undefined : raw;
  };

  if (parseFlag(value('OTEL_SDK_DISABLED'), 'OTEL_SDK_DISABLED')) return null;

  const dsn = value('SENTRY_DSN');
  const spotlight = parseFlag(value('SENTRY_SPOTLIGHT'), 'SENTRY_SPOTLIGHT');
  const otlpEndpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT') ?? value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const tracerProvider = parseTracerProvider(value('TELEMETRY_TRACER_PROVIDER'));

  const exporters = parseExporters(value('OTEL_TRACES_EXPORTER'), { dsn, otlpEndpoint, tracerProvider });
  if (exporters.length === 0) return null;

  if (exporters.includes('sentry') && !dsn && !(tracerProvider === 'sentry' && spotlight)) {
    throw new TelemetryConfigError(
      'OTEL_TRACES_EXPORTER includes "sentry" but SENTRY_DSN is not set (set SENTRY_DSN, or remove "sentry")',
    );
  }
  if (tracerProvider === 'sentry') {
    const others = exporters.filter((exporter) => exporter !== 'sentry');
    if (!exporters.includes('sentry') || others.length > 0) {
      throw new TelemetryConfigError(
        `TELEMETRY_TRACER_PROVIDER=sentry makes Sentry's tracer provider the only one, so spans can go to Sentry alone; ` +
          `OTEL_TRACES_EXPORTER=${exporters.join(',')} asks for ${others.join(',') || 'no sentry'} too. ` +
          `Use OTEL_TRACES_EXPORTER=sentry, or TELEMETRY_TRACER_PROVIDER=opentelemetry to send spans to several backends.`,
      );
    }
    if (!dsn && !spotlight) {
      throw new TelemetryConfigError('TELEMETRY_TRACER_PROVIDER=sentry needs SENTRY_DSN (or SENTRY_SPOTLIGHT=true)');
    }
  }

  const protocol = value('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? value('OTEL_EXPORTER_OTLP_PROTOCOL') ?? 'http/protobuf';
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') {
    throw new TelemetryConfigError(
      `OTEL_EXPORTER_OTLP_PROTOCOL=${protocol} is not supported: use http/protobuf (default) or http/json`,
    );
  }

  const generalHeaders = parseHeaders(value('OTEL_EXPORTER_OTLP_HEADERS'), 'OTEL_EXPORTER_OTLP_HEADERS');
  const headersFor = (signal: OtlpSignal): Record<string, string> => {
    const name = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_HEADERS`;
    return { ...generalHeaders, ...parseHeaders(value(name), name) };
  };

  const hasOtlp = exporters.includes('otlp');
  return {
    exporters,
    tracerProvider,
    otlpLogs: hasOtlp && !listIncludesNone(value('OTEL_LOGS_EXPORTER')),
    otlpMetrics: hasOtlp && !listIncludesNone(value('OTEL_METRICS_EXPORTER')),
    sentryLogs: exporters.includes('sentry') && !listIncludesNone(value('OTEL_LOGS_EXPORTER')),
    otlpProtocol: protocol,
    metricExportIntervalMs: parsePositiveInt(value('OTEL_METRIC_EXPORT_INTERVAL'), 'OTEL_METRIC_EXPORT_INTERVAL', 60_000),
    sampler: parseSampler(value('OTEL_TRACES_SAMPLER'), value('OTEL_TRACES_SAMPLER_ARG')),
    sentry: exporters.includes('sentry') ? { dsn, spotlight } : undefined,
    serviceName: value('OTEL_SERVICE_NAME') ?? 'convonet',
    environment: value('SENTRY_ENVIRONMENT') ?? value('RENDER_ENVIRONMENT') ?? value('NODE_ENV'),
    release: value('SENTRY_RELEASE') ?? value('RENDER_GIT_COMMIT'),
    captureContent: parseFlag(value('TELEMETRY_CAPTURE_CONTENT'), 'TELEMETRY_CAPTURE_CONTENT'),
    hashKey: value('TELEMETRY_HASH_KEY'),
    shutdownTimeoutMs: parsePositiveInt(value('TELEMETRY_SHUTDOWN_TIMEOUT_MS'), 'TELEMETRY_SHUTDOWN_TIMEOUT_MS', 5_000),
    diagLogLevel: parseDiagLevel(value('OTEL_LOG_LEVEL')),
    backendHosts: [dsn, otlpEndpoint, value('OTEL_EXPORTER_OTLP_LOGS_ENDPOINT'), value('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT')]
      .flatMap((url) => hostsOf(url)),
    otlpHeaders: { traces: headersFor('traces'), logs: headersFor('logs'), metrics: headersFor('metrics') },
    knownSecrets: secretsFromEnvironment(env),
  };
}

// TWILIO_AUTH_TOKEN, OPENAI_API_KEY, OTEL_EXPORTER_OTLP_HEADERS, ...
const SECRET_VARIABLE = /(TOKEN|SECRET|PASSWORD|API_KEY|_KEY$|HEADERS$)/;

/**
 * Values of secret-looking environment variables, removed wherever they show up: the surest way
 * to keep the Twilio auth token or an API key out of an error message or a URL. Of a `*_HEADERS`
 * variable (key=value,...), the values are the secrets; of DATABASE_URL, the password.
 */
export function secretsFromEnvironment(env: NodeJS.ProcessEnv): string[] {
  const secrets: string[] = [];
  for (const [name, raw] of Object.entries(env)) {
    if (!raw || !SECRET_VARIABLE.test(name)) continue;
    if (name.endsWith('HEADERS')) secrets.push(...Object.values(parseHeaders(raw, name)));
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

/**
 * `key=value,key2=value2`, each side URL-encoded, read as the OpenTelemetry exporters read it
 * (an entry without a key or a value is skipped, `;` starts metadata), except that a malformed
 * `%` is refused rather than the entry silently dropped. The error names the variable and the
 * header, never the value: it is usually an API key.
 * https://opentelemetry.io/docs/specs/otel/protocol/exporter/#specifying-headers-via-environment-variables
 */
function parseHeaders(raw: string | undefined, name: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const entry of raw?.split(',') ?? []) {
    const pair = entry.split(';', 1)[0] ?? '';
    const separator = pair.indexOf('=');
    if (separator <= 0) continue;
    const rawKey = pair.slice(0, separator).trim();
    const rawValue = pair.slice(separator + 1).trim();
    if (!rawKey || !rawValue) continue;
    const key = decodeOrThrow(rawKey, () => `${name}: a header name is not valid URL encoding (a % must be followed by two hex digits)`);
    headers[key] = decodeOrThrow(
      rawValue,
      () => `${name}: the value of header "${key}" is not valid URL encoding (a % must be followed by two hex digits; write a literal % as %25)`,
    );
  }
  return headers;
}

function decodeOrThrow(text: string, message: () => string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new TelemetryConfigError(message());
  }
}

/** The start-up line, so an operator sees at a glance what is on. */
export function describeTelemetry(config: TelemetryConfig | null): string {
  if (!config) return 'telemetry: off';
  const parts = [
    `exporters=${config.exporters.join(',')}`,
    `tracer_provider=${config.tracerProvider}`,
    `sampler=${config.sampler.name}${config.sampler.name.endsWith('traceidratio') ? `:${config.sampler.ratio}` : ''}`,
    `logs=${[config.otlpLogs && 'otlp', config.sentryLogs && 'sentry'].filter(Boolean).join(',') || 'none'}`,
    `metrics=${config.otlpMetrics ? 'otlp' : 'none'}`,
    `environment=${config.environment ?? 'unset'}`,
    `release=${config.release ?? 'unset'}`,
    `capture_content=${config.captureContent}`,
  ];
  return `telemetry: ${parts.join(' ')}`;
}

function parseExporters(
  raw: string | undefined,
  inferFrom: { dsn?: string; otlpEndpoint?: string; tracerProvider: TracerProviderOwner },
): Exporter[] {
  if (raw === undefined) {
    // Unset: infer from what is configured, so setting a DSN or an endpoint is enough.
    const inferred: Exporter[] = [];
    if (inferFrom.dsn || inferFrom.tracerProvider === 'sentry') inferred.push('sentry');
    if (inferFrom.otlpEndpoint && inferFrom.tracerProvider !== 'sentry') inferred.push('otlp');
    return inferred;
  }
  const names = raw.split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  for (const name of names) {
    if (!EXPORTERS.has(name)) {
      throw new TelemetryConfigError(
        `OTEL_TRACES_EXPORTER: unknown exporter "${name}" (use a comma-separated list of sentry, otlp, console, or none)`,
      );
    }
  }
  if (names.includes('none')) {
    if (names.length > 1) {
      throw new TelemetryConfigError(`OTEL_TRACES_EXPORTER=${raw}: "none" cannot be combined with other exporters`);
    }
    return [];
  }
  return [...new Set(names)] as Exporter[];
}

function parseTracerProvider(raw: string | undefined): TracerProviderOwner {
  if (raw === undefined || raw === 'opentelemetry') return 'opentelemetry';
  if (raw === 'sentry') return 'sentry';
  throw new TelemetryConfigError(`TELEMETRY_TRACER_PROVIDER=${raw}: use opentelemetry (default) or sentry`);
}

function parseSampler(rawName: string | undefined, rawArg: string | undefined): TelemetryConfig['sampler'] {
  const name = rawName ?? 'parentbased_always_on';
  if (!SAMPLERS.has(name)) {
    throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER=${name}: use one of ${[...SAMPLERS].join(', ')}`);
  }
  let ratio = 1;
  if (name.endsWith('traceidratio') && rawArg !== undefined) {
    ratio = Number(rawArg);
    if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) {
      throw new TelemetryConfigError(`OTEL_TRACES_SAMPLER_ARG=${rawArg}: must be a number between 0 and 1`);
    }
  }
  return { name: name as SamplerName, ratio };
}

function parseFlag(raw: string | undefined, name: string, fallback = false): boolean {
  if (raw === undefined) return fallback;
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

function listIncludesNone(raw: string | undefined): boolean {
  return raw?.split(',').some((name) => name.trim().toLowerCase() === 'none') ?? false;
}

function parseDiagLevel(raw: string | undefined): TelemetryConfig['diagLogLevel'] {
  if (raw === undefined || raw.toLowerCase() === 'none') return undefined;
  const lower = raw.toLowerCase();
  if (['error', 'warn', 'info', 'debug', 'verbose', 'all'].includes(lower)) return lower as TelemetryConfig['diagLogLevel'];
  throw new TelemetryConfigError(`OTEL_LOG_LEVEL=${raw}: use none, error, warn, info, debug, verbose or all`);
}

function hostsOf(url: string | undefined): string[] {
  if (!url) return [];
  try {
    const parsed = new URL(url);
    const port = parsed.port || (parsed.protocol === 'https:' ? '443' : '80');
    return [`${parsed.hostname}:${port}`];
  } catch {
    throw new TelemetryConfigError(`not a URL: ${url.replace(/\/\/[^@/]*@/, '//***@')} (check SENTRY_DSN and OTEL_EXPORTER_OTLP_*_ENDPOINT)`);
  }
}
