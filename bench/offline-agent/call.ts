// One call with the offline agent: a fresh world around the clock, then the caller's lines
// through the real agent and tools, with what each turn did and said.
import { createAgent } from '../../src/agent/agent.ts';
import { createOfflineProvider } from '../../src/agent/offline/provider.ts';
import type { ModelProvider } from '../../src/agent/provider.ts';
import type { Db } from '../../src/db/knex.ts';
import { loadMessages } from '../../src/db/threads.ts';
import { createLogger } from '../../src/log.ts';
import { tools } from '../../src/tools/index.ts';
import { toolUses, type ToolUse } from './score.ts';
import { resetWorld, type People } from './world.ts';

export interface Exchange {
  heard: string;
  uses: ToolUse[];
}

export async function playLines(
  db: Db,
  people: People,
  lines: string[],
  now: Date,
  timezone: string,
  provider: ModelProvider = createOfflineProvider(),
): Promise<Exchange[]> {
  const caller = await resetWorld(db, people, now, timezone);
  const agent = createAgent({
    db,
    provider,
    tools,
    logger: createLogger('silent'),
    toolTimeoutMs: 8_000,
    maxToolRounds: 6,
    historyMessages: 40,
    now: () => now,
  });
  const exchanges: Exchange[] = [];
  for (const utterance of lines) {
    const answer = await agent.answer({ caller, utterance, signal: new AbortController().signal });
    const thread = await loadMessages(db, answer.threadId, 1_000);
    exchanges.push({ heard: answer.say, uses: toolUses(thread.slice(thread.findLastIndex((m) => m.role === 'user') + 1)) });
  }
  return exchanges;
}
