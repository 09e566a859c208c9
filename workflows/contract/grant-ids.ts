// Names of grants, without zod: the round and the grants workflow use them at run time.

/** The workflow id of a requester's grants. */
export function grantsWorkflowId(requester: string): string {
  return `grants/${requester}`;
}

/** The approver id a grant decides as, on channel `grant`. */
export function grantApproverId(grantId: string): string {
  return `grant:${grantId}`;
}
