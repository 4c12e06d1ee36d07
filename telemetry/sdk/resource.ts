import { readFileSync } from 'node:fs';
import {
  defaultResource,
  envDetector,
  hostDetector,
  processDetector,
  resourceFromAttributes,
  type Resource,
  type ResourceDetector,
} from '@opentelemetry/resources';
import type { TelemetryConfig } from '../config.ts';

/**
 * Our defaults under what the environment says: NodeSDK merges the detected resource
 * (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, host, process) over this one, so
 * `service.name` is `convonet` only when the operator names it nothing else.
 */
export function baseResource(config: TelemetryConfig): Resource {
  const attributes: Record<string, string> = {
    'service.name': 'convonet',
    'service.version': packageVersion(),
  };
  if (config.environment) attributes['deployment.environment.name'] = config.environment;
  // Sentry reads release and environment from these when spans arrive over OTLP.
  if (config.release) attributes['sentry.release'] = config.release;
  if (config.environment) attributes['sentry.environment'] = config.environment;
  return defaultResource().merge(resourceFromAttributes(attributes));
}

/**
 * NodeSDK's default detectors (env, process, host), except that the process's command line is
 * left out: it can carry a secret. `undefined` when OTEL_NODE_RESOURCE_DETECTORS is set, so that
 * NodeSDK reads the operator's list instead.
 */
export function resourceDetectors(): ResourceDetector[] | undefined {
  if (process.env.OTEL_NODE_RESOURCE_DETECTORS?.trim()) return undefined;
  const processWithoutCommandLine: ResourceDetector = {
    detect: (config) => {
      const { attributes = {} } = processDetector.detect(config);
      const { 'process.command_args': _args, 'process.command_line': _line, 'process.command': _command, ...rest } = attributes;
      return { attributes: rest };
    },
  };
  return [envDetector, processWithoutCommandLine, hostDetector];
}

function packageVersion(): string {
  const parsed = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof parsed.version === 'string' ? parsed.version : '0.0.0';
}
