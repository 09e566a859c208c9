// Entry point of the workflow bundle: every exported function is a workflow type.
export { queryRound } from './query-round.ts';
export { requesterGrants } from './grants/requester-grants.ts';
export { gatewayCatalog } from './gateway-catalog.ts';
