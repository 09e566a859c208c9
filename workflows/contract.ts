// The public contract of a query round: what api/, activities/, slack/, cli/ and tests import from workflows/.
// Schemas (zod) for everything that crosses a boundary, with the types inferred from them, and the names
// shared by all. Nothing here has side effects, so it is safe inside the workflow bundle and in Node processes.
export * from './contract/names.ts';
export * from './contract/conversation.ts';
export * from './contract/tools.ts';
export * from './contract/activities.ts';
export * from './contract/failures.ts';
export * from './contract/signatures.ts';
export * from './contract/decisions.ts';
export * from './contract/grants.ts';
export * from './contract/grant-ids.ts';
export * from './contract/grant-handlers.ts';
export * from './contract/quorum.ts';
export * from './contract/reminders.ts';
export * from './contract/previews.ts';
export * from './contract/approvals.ts';
export * from './contract/policy-follow.ts';
export * from './contract/credentials.ts';
export * from './contract/quota.ts';
export * from './contract/round-input.ts';
export * from './contract/round.ts';
export * from './contract/events.ts';
export * from './contract/live.ts';
export * from './contract/handlers.ts';
export * from './contract/ids.ts';
