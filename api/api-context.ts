import type { Client } from '@temporalio/client';
import type { AccessPolicy } from './access.ts';
import type { LinkBases } from '../runtime/links.ts';
import type { CredentialIntake } from './user-credentials.ts';
import type { Signer } from '../runtime/signing.ts';
import type { LimitsConfig, ToolgateConfig } from '../runtime/config.ts';
import type { LiveWorkers } from './live-workers.ts';
import type { GrantMetrics, LimitMetrics } from './metrics.ts';
import type { GrantSettings } from './grants.ts';
import type { TokenLedger } from './token-ledger.ts';

/** What the API's operations need: the Temporal client and where rounds live. */
export interface ApiContext {
  client: Client;
  namespace: string;
  taskQueue: string;
  links: LinkBases;
  /** How long the API waits for a worker to answer a query or update before it gives up (or falls back). */
  workerWaitMs: number;
  /** The operator's `round.maxSteps`: a request may ask for fewer steps, never more. */
  maxSteps: number;
  /** Who may read, cancel and list what. */
  access: AccessPolicy;
  /** Signs every decision and round input the API sends (rounds refuse what it did not sign). */
  signer: Signer;
  /** Rounds, pending approvals and LLM tokens per principal (docs/operations.md, "Limits and quotas"). */
  limits: LimitsConfig;
  limitMetrics: LimitMetrics;
  /** Tokens of closed rounds, settled per principal so a start lists only recent rounds. */
  tokenLedger: TokenLedger;
  /** The workers that serve rounds' live events, from the task queue's pollers. */
  liveWorkers: LiveWorkers;
  /** Remembered grants: how long one may live, how many a requester may hold (approvals.grants). */
  grants: GrantSettings;
  grantMetrics: GrantMetrics;
  /** The MCP gateway's settings (api.gateway). */
  gateway: ToolgateConfig['api']['gateway'];
  /** Seals requesters' own credentials for servers that take them; absent when none does. */
  credentials?: CredentialIntake;
}
