// The grants workflow's updates and query.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { AddGrantRequest, Grant, RevokeGrantRequest } from './grants.ts';

export const addGrantUpdate = defineUpdate<Grant, [AddGrantRequest]>('addGrant');
export const revokeGrantUpdate = defineUpdate<Grant, [RevokeGrantRequest]>('revokeGrant');
/** The live grants (not expired, not revoked), oldest first. */
export const listGrantsQuery = defineQuery<Grant[]>('listGrants');
