/**
 * Resolves once `check` (a database read, say) holds: for work that finishes after the webhook
 * that started it has answered. Polls; fails with `what` after `timeoutMs`.
 */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const limit = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > limit) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
