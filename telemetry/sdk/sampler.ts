import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from './config.ts';

/** OTEL_TRACES_SAMPLER / _ARG as an SDK sampler; parent-based unless told otherwise. */
export function buildSampler({ name, ratio }: TelemetryConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The same choice as a Sentry `tracesSampleRate`, for the native bridge (Sentry's sampler is
 * parent-based already: it follows an incoming sampling decision).
 */
export function sentrySampleRate({ name, ratio }: TelemetryConfig['sampler']): number {
  if (name.endsWith('always_off')) return 0;
  if (name.endsWith('traceidratio')) return ratio;
  return 1;
}
