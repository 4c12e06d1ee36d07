import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, destination: DestinationStream = pino.destination(1)): Logger {
  return pino(
    {
      level,
      base: { service: 'convonet' },
      // Belt and braces: callers log masked numbers, but a stray field must not leak a token either.
      redact: {
        paths: ['authToken', 'apiKey', 'pin', 'headers.authorization', 'headers["x-twilio-signature"]'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** "+15555550100" → "+•••••••0100": enough to tell calls apart in a log, not enough to dial. */
export function maskPhone(phone: string | undefined | null): string | undefined {
  if (!phone) return undefined;
  if (!/^\+?\d{7,15}$/.test(phone)) return 'withheld';
  return `+${'•'.repeat(phone.replace(/^\+/, '').length - 4)}${phone.slice(-4)}`;
}
