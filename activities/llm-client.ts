import OpenAI from 'openai';
import type { ToolgateConfig } from '../runtime/config.ts';

/** The OpenAI client of the LLM activity: it never retries by itself, Temporal's retry policy is the only one. */
export function createLlmClient(llm: ToolgateConfig['llm']): OpenAI {
  return new OpenAI({ baseURL: llm.baseURL, apiKey: llm.apiKey, maxRetries: 0, timeout: llm.timeout });
}
