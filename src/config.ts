import { z } from 'zod';

// A development token lets `npm start` run with nothing set; it is printed at start so the
// simulator (or a developer with curl) can sign webhooks, and refused in production.
export const DEVELOPMENT_TWILIO_TOKEN = 'convonet-development-token';

const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const milliseconds = z.coerce.number({ error: 'must be a number of milliseconds' }).int('must be a whole number of milliseconds').positive('must be above 0');

const schema = z
  .object({
    NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
    PORT: z.coerce.number({ error: 'must be a port number' }).int().min(0).max(65535, 'must be a port number, 0 to 65535').default(3000),
    HOST: z.string().default('0.0.0.0'),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),

    DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL, or unset for the embedded database' }).optional(),
    PGLITE_DATA_DIR: z.string().default('.data/pglite'),

    TWILIO_AUTH_TOKEN: z.string().min(1).optional(),
    PUBLIC_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
    TRUST_PROXY: flag.default(false),
    TRANSFER_NUMBER: z
      .string()
      .regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 number such as +14155550100')
      .optional(),
    TRANSFER_SIP_URI: z.string().regex(/^sips?:/, 'must start with sip: or sips:').optional(),

    AGENT_PROVIDER: z.enum(['openai', 'offline']).optional(),
    OPENAI_API_KEY: z.string().min(1).optional(),
    OPENAI_MODEL: z.string().min(1).default('gpt-4.1-mini'),
    OPENAI_BASE_URL: z.url().optional(),
    // Twilio gives up on a webhook at 15 s; the answer (or the hold) has to be on its way before.
    AGENT_TURN_TIMEOUT_MS: milliseconds.max(12_000, 'must leave room under Twilio\'s 15 s webhook limit').default(10_000),
    TOOL_TIMEOUT_MS: milliseconds.default(8_000),
    AGENT_MAX_REDIRECTS: z.coerce.number().int().min(0).max(10).default(3),
    AGENT_MAX_TOOL_ROUNDS: z.coerce.number().int().min(1).max(20).default(6),
    AGENT_HISTORY_MESSAGES: z.coerce.number().int().min(4).max(500).default(40),
    DEFAULT_TIMEZONE: z.string().default('UTC'),

    TELEMETRY_CAPTURE_CONTENT: flag.default(false),
  })
  .superRefine((env, issues) => {
    if (env.NODE_ENV === 'production' && !env.TWILIO_AUTH_TOKEN) {
      issues.addIssue({
        code: 'custom',
        path: ['TWILIO_AUTH_TOKEN'],
        message: 'is required when NODE_ENV=production (the development token is refused)',
      });
    }
    if (env.NODE_ENV === 'production' && env.TWILIO_AUTH_TOKEN === DEVELOPMENT_TWILIO_TOKEN) {
      issues.addIssue({
        code: 'custom',
        path: ['TWILIO_AUTH_TOKEN'],
        message: 'must not be the development token when NODE_ENV=production',
      });
    }
    if (env.AGENT_PROVIDER === 'openai' && !env.OPENAI_API_KEY) {
      issues.addIssue({ code: 'custom', path: ['OPENAI_API_KEY'], message: 'is required when AGENT_PROVIDER=openai' });
    }
    if (!isTimeZone(env.DEFAULT_TIMEZONE)) {
      issues.addIssue({ code: 'custom', path: ['DEFAULT_TIMEZONE'], message: 'is not an IANA time zone' });
    }
  });

export interface Config {
  env: 'development' | 'test' | 'production';
  port: number;
  host: string;
  logLevel: string;
  database: { url: string } | { pgliteDir: string | 'memory' };
  twilio: {
    authToken: string;
    /** True when the token is the printed development one. */
    developmentToken: boolean;
    publicBaseUrl?: string;
    trustProxy: boolean;
  };
  transfer: { number?: string; sipUri?: string };
  agent: {
    provider: 'openai' | 'offline';
    openai: { apiKey?: string; model: string; baseURL?: string };
    turnTimeoutMs: number;
    toolTimeoutMs: number;
    maxRedirects: number;
    maxToolRounds: number;
    historyMessages: number;
    defaultTimezone: string;
  };
  captureContent: boolean;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once, at start; the error names every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const blanksRemoved = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const parsed = schema.safeParse(blanksRemoved);
  if (!parsed.success) {
    // One line, whatever is wrong: the values themselves stay out of it, as they may be secrets.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message.replace(/^[A-Z](?=[a-z])/, (c) => c.toLowerCase())}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')} (fix it in the environment or in .env)`);
  }
  const e = parsed.data;
  const authToken = e.TWILIO_AUTH_TOKEN ?? DEVELOPMENT_TWILIO_TOKEN;
  return {
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    database: e.DATABASE_URL ? { url: e.DATABASE_URL } : { pgliteDir: e.PGLITE_DATA_DIR },
    twilio: {
      authToken,
      developmentToken: authToken === DEVELOPMENT_TWILIO_TOKEN,
      publicBaseUrl: e.PUBLIC_BASE_URL?.replace(/\/+$/, ''),
      trustProxy: e.TRUST_PROXY,
    },
    transfer: { number: e.TRANSFER_NUMBER, sipUri: e.TRANSFER_SIP_URI },
    agent: {
      provider: e.AGENT_PROVIDER ?? (e.OPENAI_API_KEY ? 'openai' : 'offline'),
      openai: { apiKey: e.OPENAI_API_KEY, model: e.OPENAI_MODEL, baseURL: e.OPENAI_BASE_URL },
      turnTimeoutMs: e.AGENT_TURN_TIMEOUT_MS,
      toolTimeoutMs: e.TOOL_TIMEOUT_MS,
      maxRedirects: e.AGENT_MAX_REDIRECTS,
      maxToolRounds: e.AGENT_MAX_TOOL_ROUNDS,
      historyMessages: e.AGENT_HISTORY_MESSAGES,
      defaultTimezone: e.DEFAULT_TIMEZONE,
    },
    captureContent: e.TELEMETRY_CAPTURE_CONTENT,
  };
}

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}
