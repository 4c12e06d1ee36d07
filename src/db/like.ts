/**
 * An ILIKE pattern for text containing `fragment`, case-insensitively, with the fragment's own
 * `%`, `_` and `\` taken literally: "50%" finds "50% off", not everything after "50".
 */
export function containing(fragment: string): string {
  return `%${fragment.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
