import type { Config } from '../config.ts';
import { createOfflineProvider } from './offline/provider.ts';
import { createOpenAiProvider } from './openai-provider.ts';
import type { ModelProvider } from './provider.ts';

/** The model behind the agent: OpenAI (or any compatible server) when configured, else offline. */
export function chooseProvider(agent: Config['agent']): ModelProvider {
  if (agent.provider === 'openai') {
    // loadConfig refuses AGENT_PROVIDER=openai without a key, so the key is there.
    return createOpenAiProvider({ ...agent.openai, apiKey: agent.openai.apiKey! });
  }
  return createOfflineProvider();
}
