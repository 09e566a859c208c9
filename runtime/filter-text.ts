// Query-string filters that end up inside a Temporal visibility query: control characters there are refused by the
// server (answered as an outage before), so they are refused here, with the field named.
import { z } from 'zod';

const CONTROL = /\p{Cc}/u;

/** A principal, server or tool name to filter by: 1–200 characters, none of them a control character. */
export const FilterText = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => !CONTROL.test(value), 'must not contain control characters');
