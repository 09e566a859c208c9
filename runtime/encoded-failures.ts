// With the codec on, a failure's message and stack trace travel in its encoded attributes, a payload the codec
// seals: an MCP server's or LLM provider's error text may quote the arguments it refused.
import { DefaultFailureConverter } from '@temporalio/common';

export const failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
