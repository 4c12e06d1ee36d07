import { readFileSync } from 'node:fs';
import { detectResources, envDetector, hostDetector, processDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { TelemetryConfig } from './config.ts';

/**
 * Who is sending: our service identity over what the environment says
 * (OTEL_RESOURCE_ATTRIBUTES, host, process). Detectors are listed one by one, not the
 * defaults, so nothing is detected twice and no cloud detector probes the network at start.
 */
export function buildResource(config: TelemetryConfig): Resource {
  const attributes: Record<string, string> = {
    'service.name': config.serviceName,
    'service.version': packageVersion(),
  };
  if (config.environment) attributes['deployment.environment.name'] = config.environment;
  // Sentry reads release and environment from these when spans arrive over OTLP.
  if (config.release) attributes['sentry.release'] = config.release;
  if (config.environment) attributes['sentry.environment'] = config.environment;

  const detected = detectResources({ detectors: [envDetector, processDetector, hostDetector] });
  // Process arguments and the executable path can carry secrets (a token on the command line).
  const withoutCommandLine = resourceFromAttributes(
    Object.fromEntries(
      Object.entries(detected.attributes).filter(
        ([key]) => !['process.command_args', 'process.command_line', 'process.command'].includes(key),
      ),
    ),
  );
  // OTEL_SERVICE_NAME wins over OTEL_RESOURCE_ATTRIBUTES' service.name, as the spec says.
  return withoutCommandLine.merge(resourceFromAttributes(attributes));
}

let cachedVersion: string | undefined;

export function packageVersion(): string {
  if (!cachedVersion) {
    const url = new URL('../package.json', import.meta.url);
    const parsed = JSON.parse(readFileSync(url, 'utf8')) as { version?: unknown };
    cachedVersion = typeof parsed.version === 'string' ? parsed.version : '0.0.0';
  }
  return cachedVersion;
}
