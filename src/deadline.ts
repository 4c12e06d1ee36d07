/**
 * When a piece of work must be finished, as an epoch-ms instant taken once (for a webhook: when it
 * arrived) and passed down, so every wait below it shares one clock instead of starting its own.
 * Plain data and plain functions: a webhook, a WebSocket session or a shutdown use the same ones.
 */
export interface Deadline {
  /** Epoch milliseconds. */
  readonly at: number;
  /** Aborts at `at`. */
  readonly signal: AbortSignal;
}

export class DeadlineExceededError extends Error {
  override name = 'DeadlineExceededError';
}

export function deadlineAt(at: number): Deadline {
  return { at, signal: AbortSignal.timeout(Math.max(0, at - Date.now())) };
}

export function timeLeft(deadline: Deadline): number {
  return deadline.at - Date.now();
}

/** The earlier of two deadlines. */
export function earliest(a: Deadline, b: Deadline): Deadline {
  return a.at <= b.at ? a : b;
}

/**
 * `work`, or a DeadlineExceededError at the deadline, whichever comes first. The work is not
 * stopped by this (it must bound itself, or check the deadline before committing anything); its
 * later failure is swallowed, since nobody is waiting for it any more.
 */
export function settleBy<T>(work: Promise<T>, deadline: Deadline): Promise<T> {
  if (deadline.signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(new DeadlineExceededError('no time left'));
  }
  return new Promise<T>((resolve, reject) => {
    const onTimeout = () => {
      work.catch(() => undefined);
      reject(new DeadlineExceededError(`not finished by the deadline`));
    };
    deadline.signal.addEventListener('abort', onTimeout, { once: true });
    work.then(resolve, reject).finally(() => deadline.signal.removeEventListener('abort', onTimeout));
  });
}
