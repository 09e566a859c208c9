import { escapeText } from './text.ts';

/** Answers only the person who clicked, beside the card, through the interaction's response_url. */
export type Reply = (text: string) => Promise<void>;

export function replyTo(responseUrl: string): Reply {
  return async (text) => {
    const response = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text: escapeText(text) }),
    });
    if (!response.ok) throw new Error(`Slack refused the reply to the response_url: HTTP ${response.status}`);
  };
}
