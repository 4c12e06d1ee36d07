import { createHmac, randomBytes } from 'node:crypto';
import { isContentKey } from './content-keys.ts';

/**
 * What may leave the process. One redactor serves spans, span events, logs and Sentry events,
 * so the rules cannot drift apart between backends. It is pure string/object work with no SDK
 * import: the span and log processors and the Sentry hooks call it.
 */
export interface Redactor {
  /** Redacts attribute-like records in place: drops content and secret keys, scrubs strings. */
  attributes(record: Record<string, unknown>): void;
  /** A string with phone numbers hashed and tokens, signatures and known secrets removed. */
  text(value: string): string;
  /** Deep copy-free walk of a JSON-ish value (a Sentry event), redacting in place. */
  deep<T>(value: T): T;
}

export interface RedactorOptions {
  captureContent: boolean;
  /** HMAC key for phone numbers; stable across instances only when the operator sets one. */
  hashKey?: string;
  /** Exact secret values to remove wherever they appear: `TelemetryConfig.knownSecrets`. */
  knownSecrets?: readonly string[];
}

export const REDACTED = '[redacted]';

// E.164: + then 7 to 15 digits. Also the URL-encoded form (%2B) found in query strings and form bodies.
const PHONE = /(?:\+|%2B)([1-9]\d{6,14})(?!\d)/gi;
const AUTH_SCHEME = /\b(bearer|basic|digest)\s+[A-Za-z0-9._~+/=-]{6,}/gi;
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]+:)[^@/?#\s]+@/gi;
// A query or form parameter whose name looks secret keeps its name, loses its value.
const SECRET_PARAM =
  /([?&;]|^)((?:[^=&#\s]*?)(?:token|secret|password|passwd|api[_-]?key|apikey|signature|sig|auth|credential|pin|digits|dsn)(?:[^=&#\s]*)=)[^&#\s]*/gi;
const SECRET_SHAPES = [
  /\bsk-[A-Za-z0-9_-]{16,}/g, // OpenAI-style API keys
  /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, // JWTs
];

/** Keys whose values are secrets whatever they hold. Counts such as `input_tokens` are not. */
const SECRET_KEY =
  /(authorization|x-twilio-signature|signature|cookie|password|passwd|secret|api[_.-]?key|apikey|access[_.-]?key|auth[_.-]?token|access[_.-]?token|refresh[_.-]?token|credential|(^|[._-])dsn$|(^|[._-])token$|(^|[._-])pin$)/i;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

export function createRedactor(options: RedactorOptions): Redactor {
  // Without an operator key, a per-process key still links one call's spans together but can't
  // be reversed by brute force over the phone-number space, and means nothing across restarts.
  const hashKey = options.hashKey ?? randomBytes(32).toString('hex');
  const knownSecrets = (options.knownSecrets ?? []).filter((secret) => secret.length >= 8);
  const hashes = new Map<string, string>();

  const hashPhone = (digits: string): string => {
    let hashed = hashes.get(digits);
    if (!hashed) {
      hashed = `tel:${createHmac('sha256', hashKey).update(`+${digits}`).digest('hex').slice(0, 16)}`;
      if (hashes.size > 10_000) hashes.clear();
      hashes.set(digits, hashed);
    }
    return hashed;
  };

  const text = (value: string): string => {
    let out = value;
    for (const secret of knownSecrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    out = out.replace(PHONE, (_match, digits: string) => hashPhone(digits));
    out = out.replace(AUTH_SCHEME, (_match, scheme: string) => `${scheme} ${REDACTED}`);
    out = out.replace(URL_PASSWORD, `$1${REDACTED}@`);
    if (out.includes('=')) out = out.replace(SECRET_PARAM, `$1$2${REDACTED}`);
    for (const shape of SECRET_SHAPES) out = out.replace(shape, REDACTED);
    return out;
  };

  const dropKey = (key: string): 'drop' | 'mask' | 'keep' => {
    if (isSecretKey(key)) return 'mask';
    if (!options.captureContent && isContentKey(key)) return 'drop';
    return 'keep';
  };

  const value = (input: unknown, depth: number): unknown => {
    if (typeof input === 'string') return text(input);
    if (depth > 12 || input === null || typeof input !== 'object') return input;
    if (Array.isArray(input)) {
      for (let i = 0; i < input.length; i++) input[i] = value(input[i], depth + 1);
      return input;
    }
    if (ArrayBuffer.isView(input)) return input;
    walk(input as Record<string, unknown>, depth + 1);
    return input;
  };

  const walk = (record: Record<string, unknown>, depth: number): void => {
    for (const key of Object.keys(record)) {
      const verdict = dropKey(key);
      if (verdict === 'drop') delete record[key];
      else if (verdict === 'mask') record[key] = REDACTED;
      else record[key] = value(record[key], depth);
    }
  };

  return {
    text,
    attributes: (record) => walk(record, 0),
    deep: <T>(input: T): T => value(input, 0) as T,
  };
}
