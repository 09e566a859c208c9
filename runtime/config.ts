// The YAML configuration of worker and API: one zod schema, the type inferred from it, and one loader that
// turns any problem into an error naming the file and the field. Any string may reference ${ENV_VAR} or
// ${ENV_VAR:-default}.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  DEFAULT_MAX_STEPS,
  DEFAULT_TOOL_CALLS_PER_REPLY,
  MAX_STEPS_LIMIT,
  MAX_TOOL_CALLS_PER_REPLY_LIMIT,
  QuotaPeriod,
  TASK_QUEUE,
} from '../workflows/contract.ts';
import { reminderPlan } from './reminder-plan.ts';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `250ms`, `30s`, `10m`, `2h`, `1d`, or a number of milliseconds. */
const Duration = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+(ms|s|m|h|d)$/, 'expected a duration such as 30s, 10m or 2h'),
  ])
  .transform(durationMs);

/** What Approve and remember asks for (Slack, console): the default TTL, within the longest allowed. */
export function rememberTtl(config: { approvals: { grants: { defaultTtl: number; maxTtl: number } } }): number {
  return Math.min(config.approvals.grants.defaultTtl, config.approvals.grants.maxTtl);
}

/** A duration as the config and the API write it (`8h`, or milliseconds), in milliseconds. */
export function durationMs(value: number | string): number {
  if (typeof value === 'number') return value;
  const [, amount, unit] = /^(\d+)(ms|s|m|h|d)$/.exec(value)!;
  return Number(amount) * DURATION_UNITS[unit!]!;
}

const Name = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'use letters, digits, _ and - only');
const ApprovalMode = z.enum(['never', 'always', 'annotations']);
const ArgumentRule = z.strictObject({
  /** A dot path into the arguments, e.g. `namespace` or `metadata.namespace`. */
  argument: z.string().min(1),
  matches: z.string().min(1),
  ignoreCase: z.boolean().optional(),
  /** `approve`: a call without this argument needs approval too (a server may default it to production). */
  whenAbsent: z.enum(['approve']).optional(),
});
const Principals = z.array(z.string().min(1)).min(1);

/** `{group: oncall, count: 2}`: two distinct members of `approvals.groups.oncall` must approve. */
const QuorumRequirement = z.strictObject({ group: Name, count: z.number().int().min(1).max(20) });
/** Every requirement must be met, by distinct people: one person counts once overall. */
const Quorum = z.array(QuorumRequirement).min(1);
/** `first`: the first counted rejection closes the approval; `quorum`: only once the quorum can no longer be met. */
const RejectWith = z.enum(['first', 'quorum']);

/** `50%` of the approval timeout, or a duration after the approval opened (`5m`). */
const TimeoutPoint = z.union([
  z
    .string()
    .regex(/^\d+(\.\d+)?%$/, 'expected a share of the approval timeout such as 50%, or a duration')
    .transform((value) => ({ percent: Number(value.slice(0, -1)) })),
  Duration.transform((ms) => ({ ms })),
]);
/** `remind: {at: 50%}` or `{at: [50%, 75%]}`: the approvers are told again at each point. */
const Remind = z.strictObject({
  at: z.union([TimeoutPoint.transform((point) => [point]), z.array(TimeoutPoint).min(1).max(10)]),
});
/** `escalate: {at: 80%, to: dba}`: the group (or the principals listed) may decide too from then on. */
const Escalate = z.strictObject({
  at: TimeoutPoint.optional(),
  to: z.union([Name, Principals]),
  slackChannel: z.string().min(1).optional(),
});
/** `escalate-and-extend`: an approval still undecided at its expiry is extended once (and escalated). */
const OnTimeout = z.enum(['reject', 'escalate-and-extend']);
/**
 * A read-only tool of the same server run before the approval opens, its output shown to the approver
 * (README "Previews"). `arguments` maps each preview argument to a dot path into the call's arguments
 * (`{target: metadata.name}`); without it the preview gets the call's arguments as they are. The tool must be
 * read-only: `readOnlyHint: true` from a `trusted` server, or `readOnly: true` here (the operator vouches for it).
 */
const Preview = z.strictObject({
  tool: z.string().min(1).max(128),
  arguments: z.record(z.string().min(1).max(64), z.string().min(1).max(256)).optional(),
  readOnly: z.boolean().optional(),
  /** Each attempt's deadline; the preview is tried up to 3 times (it only reads). */
  timeout: Duration.default(15_000),
});

const ToolOverride = z.strictObject({
  approval: ApprovalMode.optional(),
  approvers: Principals.optional(),
  allowSelfApproval: z.boolean().optional(),
  quorum: Quorum.optional(),
  rejectWith: RejectWith.optional(),
  remind: Remind.optional(),
  escalate: Escalate.optional(),
  onTimeout: OnTimeout.optional(),
  approvalTimeout: Duration.optional(),
  timeout: Duration.optional(),
  rules: z.array(ArgumentRule).optional(),
  /** Safe to call again after an unknown outcome, whatever the server's annotations say. */
  idempotent: z.boolean().optional(),
  /** Added to the server's `redact` paths for this tool. */
  redact: z.array(z.string().min(1)).optional(),
  /** An approver may approve with edited arguments (edit on approve); default: the server's, else true. */
  editable: z.boolean().optional(),
  preview: Preview.optional(),
  /** false: no approval of this tool may be remembered as a grant. */
  grants: z.boolean().optional(),
});

const Retry = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(3),
  initialDelay: Duration.default(500),
  maxDelay: Duration.default(10_000),
});

const ServerCommon = {
  name: Name,
  timeout: Duration.default(30_000),
  /** Trust the server's tool annotations (readOnlyHint may waive approval; idempotentHint allows retries). */
  trusted: z.boolean().default(false),
  /** `approve`: readOnlyHint waives approval only with openWorldHint: false; `trust`: readOnlyHint alone does. */
  openWorld: z.enum(['approve', 'trust']).default('approve'),
  approval: ApprovalMode.default('annotations'),
  approvers: Principals.optional(),
  allowSelfApproval: z.boolean().optional(),
  quorum: Quorum.optional(),
  rejectWith: RejectWith.optional(),
  remind: Remind.optional(),
  escalate: Escalate.optional(),
  onTimeout: OnTimeout.optional(),
  approvalTimeout: Duration.optional(),
  rules: z.array(ArgumentRule).default([]),
  /** Dot paths of argument values shown redacted to people (`spec.password`; `*` matches any key). */
  redact: z.array(z.string().min(1)).default([]),
  /** An approver may approve this server's calls with edited arguments (edit on approve); default true. */
  editable: z.boolean().optional(),
  retry: Retry.default({ maxAttempts: 3, initialDelay: 500, maxDelay: 10_000 }),
  tools: z.record(z.string(), ToolOverride).default({}),
  /** false: no approval of this server's tools may be remembered as a grant (a tool entry may say otherwise). */
  grants: z.boolean().optional(),
};

const StdioServer = z.strictObject({
  ...ServerCommon,
  transport: z.literal('stdio'),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
});

const HttpServer = z.strictObject({
  ...ServerCommon,
  transport: z.literal('http'),
  url: z.url(),
  /** Kept in worker memory only: headers never enter workflow history. */
  headers: z.record(z.string(), z.string()).default({}),
  /**
   * The requester's own credential for this server, forwarded on each of their calls (as OpenShift Lightspeed
   * forwards the user's Kubernetes token), so the server enforces what that user may do. It arrives at the
   * API in the request header `fromHeader`, travels sealed with the codec keys, never appears in plaintext in
   * history, memo, state or logs, and is refused once expired (JWT `exp`, else `ttl` from the round's start).
   */
  userCredential: z
    .strictObject({
      fromHeader: z.string().regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name'),
      header: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
        .default('Authorization'),
      scheme: z.string().default('Bearer'),
      /** Without one, the round's calls of this server are refused (the model is told why). */
      required: z.boolean().default(true),
      ttl: Duration.default(3_600_000),
    })
    .optional(),
});

const ServerConfig = z.discriminatedUnion('transport', [StdioServer, HttpServer]);

/**
 * Temporal Worker Versioning (docs/operations.md, "Upgrading"): workers poll as version `name`:`buildId`; a round starts on
 * the deployment's current version and, pinned, stays on it, so a deploy never changes the code under a round
 * that waits for a human. Workers of the old version drain the rounds pinned to it.
 */
const Deployment = z.strictObject({
  /** false: unversioned workers, for clusters without Worker Deployments. */
  enabled: z.boolean().default(true),
  name: Name.default('toolgate'),
  /** Default: the first 12 hex digits of the SHA-256 of the workflow bundle, so any change of workflow code is a new version. */
  buildId: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,64}$/, 'use letters, digits, ., _ and - only')
    .optional(),
  /** pinned: a round finishes on the version it started on; auto-upgrade: it moves to the current version. */
  behavior: z.enum(['pinned', 'auto-upgrade']).default('pinned'),
  /** Make this worker's version the current one once it polls (single-host and rolling deploys); false: the deploy tool does. */
  promote: z.boolean().default(true),
});
const DEFAULT_DEPLOYMENT = { enabled: true, name: 'toolgate', behavior: 'pinned', promote: true } as const;

const ApiToken = z.strictObject({
  principal: z.string().min(1),
  /** Put the value in an environment variable and reference it as ${NAME}. */
  token: z.string().min(16, 'tokens must be at least 16 characters'),
});

const ApiSettings = z.strictObject({
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** Base URL of this API as clients reach it, for links; defaults to http://host:port. */
  publicUrl: z.url().optional(),
  /** Temporal Web UI base URL, for links to rounds. */
  webUiUrl: z.url().default('http://127.0.0.1:8233'),
  tokens: z
    .array(ApiToken)
    .default([])
    .superRefine((tokens, context) => {
      // One token, two principals: whoever holds it would act as the first listed, silently.
      const seen = new Set<string>();
      tokens.forEach(({ token }, index) => {
        if (seen.has(token))
          context.addIssue({ code: 'custom', path: [index, 'token'], message: 'this token is listed twice' });
        seen.add(token);
      });
    }),
  maxQueryChars: z.number().int().min(1).max(1_000_000).default(8000),
  /**
   * Principals with a role beyond their own rounds: auditors read every round and approval, admins also cancel
   * any round, and `metrics` principals may scrape /metrics when it is not public.
   */
  roles: z
    .strictObject({
      admin: z.array(z.string().min(1)).default([]),
      auditor: z.array(z.string().min(1)).default([]),
      metrics: z.array(z.string().min(1)).default([]),
    })
    .default({ admin: [], auditor: [], metrics: [] }),
  /**
   * false: /metrics needs a bearer token of an admin, auditor or metrics principal. Unset: public only while the
   * API listens on loopback (see metricsArePublic).
   */
  publicMetrics: z.boolean().optional(),
  /** The console at /ui (README, "Console"): sign-in with an API token kept in a session cookie. */
  ui: z
    .strictObject({
      enabled: z.boolean().default(true),
      /** How long a console session lasts after sign-in. */
      sessionTtl: Duration.default(8 * 3_600_000),
      /**
       * A header set by a trusted reverse proxy that names the signed-in principal (e.g. X-Forwarded-User);
       * honoured only from `trustedProxies` (IP addresses).
       */
      identityHeader: z
        .string()
        .regex(/^[A-Za-z0-9-]+$/, 'an HTTP header name')
        .optional(),
      trustedProxies: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  /** The MCP gateway at /mcp (docs/gateway.md). */
  gateway: z
    .strictObject({
      /**
       * How often a task-less tools/call that waits (for an approval, a slow tool) repeats what it waits for as a
       * progress notification, so a client with resetTimeoutOnProgress keeps waiting past its request timeout
       * (the SDK's is 60 s).
       */
      keepAlive: Duration.refine((ms) => ms >= 100 && ms <= 3_600_000, 'between 100ms and 1h').default(25_000),
      /** Tasks per tasks/list page; the next page comes with the cursor. */
      tasksPerPage: z.number().int().min(1).max(1000).default(100),
    })
    .prefault({}),
});

/** Whether /metrics answers without a token: as configured, else only when the API listens on loopback. */
export function metricsArePublic(api: { host: string; publicMetrics?: boolean | undefined }): boolean {
  return api.publicMetrics ?? /^(127\.\d+\.\d+\.\d+|::1|localhost)$/.test(api.host);
}

/** A token bucket: `burst` requests at once, refilled at `perMinute`. */
const Bucket = z.strictObject({
  perMinute: z.number().positive(),
  burst: z.number().int().min(1),
});

/**
 * What one principal may consume (README, "Limits and quotas"). Request budgets hold per API replica; rounds,
 * approvals and tokens are counted from Temporal, so they hold across replicas and restarts.
 */
const LimitsSettings = z.strictObject({
  /** false turns every limit below off (benchmarks, or a gateway in front that limits); round.* bounds stay. */
  enabled: z.boolean().default(true),
  requests: z
    .strictObject({
      /** POST /v1/rounds. */
      start: Bucket.default({ perMinute: 30, burst: 10 }),
      /** Every other authenticated request. */
      read: Bucket.default({ perMinute: 600, burst: 120 }),
    })
    .default({ start: { perMinute: 30, burst: 10 }, read: { perMinute: 600, burst: 120 } }),
  /** Rounds of one requester running at once. */
  roundsPerPrincipal: z.number().int().min(1).default(10),
  /** Approvals pending in one requester's rounds at once. */
  pendingApprovalsPerPrincipal: z.number().int().min(1).default(20),
  tokens: z
    .strictObject({
      period: QuotaPeriod.default('day'),
      /** LLM tokens (prompt + completion) per requester per period. */
      perPrincipal: z.number().int().min(0).default(1_000_000),
      /** Principal → its own quota per period. */
      principals: z.record(z.string(), z.number().int().min(0)).default({}),
    })
    .default({ period: 'day', perPrincipal: 1_000_000, principals: {} }),
  streams: z
    .strictObject({
      /** Open event streams (SSE) of one principal, per API replica. */
      perPrincipal: z.number().int().min(1).default(5),
      /** Open event streams of all principals, per API replica. */
      total: z.number().int().min(1).default(500),
    })
    .default({ perPrincipal: 5, total: 500 }),
  /** Distinct rounds one POST /codec/decode may touch. */
  codecRoundsPerRequest: z.number().int().min(1).max(1000).default(50),
});
export type LimitsConfig = z.infer<typeof LimitsSettings>;

/** Slack approvals: cards posted by the worker, button clicks received by the API. */
const SlackSettings = z
  .strictObject({
    botToken: z.string().min(1),
    signingSecret: z.string().min(1),
    /** App-level token (connections:write), for Socket Mode. */
    appToken: z.string().min(1).optional(),
    /** Receive clicks over a WebSocket instead of POST /slack/events, for deployments with no public URL. */
    socketMode: z.boolean().default(false),
    /** Default channel id for approval cards. */
    channel: z.string().min(1).optional(),
    /** `<server>` or `<server>/<tool>` -> channel id; the most specific key wins. */
    channels: z.record(z.string(), z.string().min(1)).default({}),
    /** The workspace (`T…`) and app (`A…`) clicks must come from: Slack user ids are unique only within a workspace. */
    teamId: z.string().regex(/^T[A-Z0-9]+$/, 'a Slack workspace id: T…'),
    appId: z.string().regex(/^A[A-Z0-9]+$/, 'a Slack app id: A…'),
    /** Slack user id -> principal id of `teamId`; clicks by unmapped users are refused. */
    users: z.record(z.string(), z.string().min(1)).default({}),
    /**
     * Signatures of accepted requests an API replica remembers for Slack's 5-minute window, so that each is
     * accepted once; while that many are unexpired, further requests are refused.
     */
    replayCache: z.number().int().min(100).max(1_000_000).default(10_000),
    /** Slack Web API base URL (tests). */
    apiUrl: z.url().optional(),
  })
  .refine((slack) => !slack.socketMode || slack.appToken !== undefined, {
    path: ['appToken'],
    message: 'appToken is required when socketMode is true',
  })
  .refine((slack) => slack.channel !== undefined || Object.keys(slack.channels).length > 0, {
    path: ['channel'],
    message: 'set channel or channels, or no approval card is ever posted',
  });

/** An Ed25519 key: 32 raw bytes, base64, inline (put it in an environment variable) or in a file. */
const SigningKey = z
  .strictObject({
    id: Name,
    key: z.string().min(1).optional(),
    file: z.string().min(1).optional(),
  })
  .refine((key) => (key.key === undefined) !== (key.file === undefined), 'give key or file');

/**
 * Signed decisions and round inputs (docs/operations.md, "Signed decisions"): the API signs with `privateKey`,
 * workers hand rounds every key of `publicKeys`. Each process refuses to start without its part.
 */
const SigningSettings = z.strictObject({
  privateKey: SigningKey.optional(),
  publicKeys: z.array(SigningKey).min(1).optional(),
});

export const ConfigSchema = z
  .strictObject({
    temporal: z
      .strictObject({
        address: z.string().default('127.0.0.1:7233'),
        namespace: z.string().default('default'),
        taskQueue: z.string().default(TASK_QUEUE),
        /** A profile of Temporal's environment configuration (TOML); TEMPORAL_PROFILE also selects one. */
        profile: z.string().min(1).optional(),
        /** The TOML file; default TEMPORAL_CONFIG_FILE, else Temporal's default location. */
        configFile: z.string().min(1).optional(),
        /** Temporal Cloud or a cluster with API keys; put it in an environment variable. */
        apiKey: z.string().min(1).optional(),
        tls: z
          .strictObject({
            enabled: z.boolean().default(true),
            /** PEM files: the CA that signed the server's certificate, and for mTLS this client's certificate and key. */
            serverCA: z.string().min(1).optional(),
            clientCert: z.string().min(1).optional(),
            clientKey: z.string().min(1).optional(),
            /** The name the server's certificate must carry, when it is not the address's host. */
            serverName: z.string().min(1).optional(),
          })
          .optional(),
        deployment: Deployment.default(DEFAULT_DEPLOYMENT),
      })
      .default({
        address: '127.0.0.1:7233',
        namespace: 'default',
        taskQueue: TASK_QUEUE,
        deployment: DEFAULT_DEPLOYMENT,
      }),
    llm: z.strictObject({
      baseURL: z.url(),
      model: z.string().min(1),
      /** Local servers accept any placeholder. */
      apiKey: z.string().default('not-needed'),
      timeout: Duration.default(120_000),
      temperature: z.number().min(0).max(2).optional(),
      /** Ask the model to stream (`stream: true`): clients see its text as it comes (README, "Streaming"). */
      stream: z.boolean().default(true),
    }),
    round: z
      .strictObject({
        maxSteps: z.number().int().min(1).max(MAX_STEPS_LIMIT).default(DEFAULT_MAX_STEPS),
        /** Tool calls of one model reply that run; the rest are not run and the model is told which and why. */
        maxToolCallsPerReply: z
          .number()
          .int()
          .min(1)
          .max(MAX_TOOL_CALLS_PER_REPLY_LIMIT)
          .default(DEFAULT_TOOL_CALLS_PER_REPLY),
        toolOutputChars: z.number().int().min(200).max(500_000).default(16_000),
        /** The conversation a round carries; the oldest tool outputs are elided (with a marker) beyond it. */
        transcriptChars: z.number().int().min(10_000).max(1_000_000).default(200_000),
      })
      .default({
        maxSteps: DEFAULT_MAX_STEPS,
        maxToolCallsPerReply: DEFAULT_TOOL_CALLS_PER_REPLY,
        toolOutputChars: 16_000,
        transcriptChars: 200_000,
      }),
    approvals: z.strictObject({
      timeout: Duration.default(600_000),
      /** Principal ids who may decide by default; `*` lets any authenticated principal decide. */
      approvers: Principals,
      allowSelfApproval: z.boolean().default(false),
      /** Named sets of principals a `quorum` draws on: `{oncall: [alice, bob], dba: [carol]}`. Never `*`. */
      groups: z
        .record(
          Name,
          z
            .array(
              z
                .string()
                .min(1)
                .refine((id) => id !== '*', 'a group names principals, not "*"'),
            )
            .min(1),
        )
        .default({}),
      rejectWith: RejectWith.default('first'),
      /**
       * Pending approvals follow policy (README, "Pending approvals follow policy"): a worker that starts with a
       * changed configuration nudges waiting rounds, at most `perSecond`, to re-check their approvals.
       */
      recheck: z
        .strictObject({
          enabled: z.boolean().default(true),
          perSecond: z.number().positive().max(1000).default(5),
          /** An approval the new policy no longer requires closes approved (by `policy`); false: it keeps waiting. */
          releaseWhenLoosened: z.boolean().default(false),
        })
        .prefault({}),
      /** Remembered grants ("approve and remember"): how long one may live and how many a requester may hold. */
      grants: z
        .strictObject({
          /** The longest a grant lives, whatever a decision asks. */
          maxTtl: Duration.default(24 * 3_600_000),
          /** What "Approve and remember" (Slack, console) asks for; capped by maxTtl. */
          defaultTtl: Duration.default(8 * 3_600_000),
          /** Live grants per requester; adding one more is refused (429 grant_limit). */
          perRequester: z.number().int().min(1).max(1000).default(50),
        })
        .prefault({}),
    }),
    api: ApiSettings.prefault({}),
    limits: LimitsSettings.prefault({}),
    slack: SlackSettings.optional(),
    /** Encrypted payloads (docs/operations.md, "Encrypted payloads"): the first key seals, every key opens. */
    codec: z
      .strictObject({
        keys: z
          .array(
            z
              .strictObject({
                id: Name,
                /** 32 random bytes, base64 (`openssl rand -base64 32`); put it in an environment variable. */
                secret: z.string().min(1).optional(),
                /** A file holding the base64 secret. */
                file: z.string().min(1).optional(),
              })
              .refine((key) => (key.secret === undefined) !== (key.file === undefined), 'give secret or file'),
          )
          .min(1),
      })
      .optional(),
    signing: SigningSettings.optional(),
    worker: z
      .strictObject({
        /**
         * Rounds kept in the worker's memory between their workflow tasks (about 1 MB each). Others are evicted
         * and replayed from history when they next move (a decision, an expiry): memory stays flat however
         * many rounds wait for a human.
         */
        cachedRounds: z.number().int().min(0).max(100_000).default(200),
        /**
         * Where the worker serves the model's text as it streams, to API replicas that ask with a signed request
         * (README, "Streaming"). Port 0 picks a free one; `url` is what API replicas use to reach it (default
         * http://host:port), advertised in the worker's identity.
         */
        live: z
          .strictObject({
            host: z.string().default('127.0.0.1'),
            port: z.number().int().min(0).max(65_535).default(0),
            url: z.url().optional(),
          })
          .prefault({}),
        /**
         * Folder where the workflow bundle is kept per set of inputs (workflow sources, installed packages), so
         * that a worker loads it instead of running webpack (runtime/workflow-bundle-cache.ts). Default
         * $TOOLGATE_BUNDLE_CACHE, else .tools/workflow-bundles in the checkout.
         */
        bundleCache: z.string().min(1).optional(),
        /** A Prometheus endpoint (`/metrics`) for the worker: Temporal's worker metrics and toolgate's domain metrics. */
        metrics: z
          .strictObject({
            host: z.string().default('127.0.0.1'),
            port: z.number().int().min(1).max(65_535),
          })
          .optional(),
      })
      .prefault({}),
    servers: z
      .array(ServerConfig)
      .default([])
      .superRefine((servers, context) => {
        const seen = new Set<string>();
        servers.forEach((server, index) => {
          if (seen.has(server.name)) {
            context.addIssue({
              code: 'custom',
              path: [index, 'name'],
              message: `duplicate server name '${server.name}'`,
            });
          }
          seen.add(server.name);
        });
      }),
  })
  .superRefine((config, context) => {
    config.servers.forEach((server, index) => {
      if (server.transport === 'http' && server.userCredential && !config.codec) {
        context.addIssue({
          code: 'custom',
          path: ['servers', index, 'userCredential'],
          message: 'forwarding user credentials needs codec.keys: credentials travel sealed with the codec key',
        });
      }
      if (server.transport === 'http' && server.userCredential) refuseAnyoneApproves(server, config, index, context);
      checkQuorums(server, config.approvals.groups, index, context);
      checkReminders(server, config, index, context);
      checkPreviews(server, index, context);
    });
  });

/**
 * A quorum names who decides, so `approvers` beside it on the same entry would be ignored: refused. Each group must
 * exist and hold at least `count` people, else the approval could never close approved.
 */
function checkQuorums(
  server: z.infer<typeof ServerConfig>,
  groups: Record<string, string[]>,
  index: number,
  context: z.RefinementCtx,
): void {
  const entries: Array<[(string | number)[], z.infer<typeof ToolOverride>]> = [
    [['servers', index], server],
    ...Object.entries(server.tools).map(([tool, override]): [(string | number)[], z.infer<typeof ToolOverride>] => [
      ['servers', index, 'tools', tool],
      override,
    ]),
  ];
  for (const [path, entry] of entries) {
    if (!entry.quorum) continue;
    if (entry.approvers) {
      context.addIssue({
        code: 'custom',
        path: [...path, 'approvers'],
        message: 'a quorum names who decides (its groups): approvers beside it would be ignored',
      });
    }
    entry.quorum.forEach((requirement, position) => {
      const members = groups[requirement.group];
      const where = [...path, 'quorum', position, 'group'];
      if (!members) {
        context.addIssue({
          code: 'custom',
          path: where,
          message: `no group '${requirement.group}' in approvals.groups`,
        });
      } else if (new Set(members).size < requirement.count) {
        context.addIssue({
          code: 'custom',
          path: where,
          message: `group '${requirement.group}' has ${new Set(members).size} members, fewer than the ${requirement.count} required`,
        });
      }
    });
  }
}

/** Every reminder plan a server's tools may resolve to must be one the round can follow (runtime/reminder-plan.ts). */
function checkReminders(
  server: z.infer<typeof ServerConfig>,
  config: { approvals: { timeout: number; groups: Record<string, string[]> } },
  index: number,
  context: z.RefinementCtx,
): void {
  const report = (path: (string | number)[], tool: z.infer<typeof ToolOverride> | undefined) => {
    const { problems } = reminderPlan(config, server, tool);
    for (const problem of problems)
      context.addIssue({ code: 'custom', path: [...path, problem.field], message: problem.message });
  };
  report(['servers', index], undefined);
  for (const [name, tool] of Object.entries(server.tools)) report(['servers', index, 'tools', name], tool);
}

/**
 * Calls of a server that takes the requester's own credential return what only that user may see: the people
 * who decide them must be named, never `*` (every principal), whether set on the server, a tool or inherited.
 */
function refuseAnyoneApproves(
  server: z.infer<typeof HttpServer>,
  config: { approvals: { approvers: string[] } },
  index: number,
  context: z.RefinementCtx,
): void {
  const why = 'takes a user credential (userCredential): approvers must be named principals, not "*"';
  const serverApprovers = server.approvers ?? config.approvals.approvers;
  if (serverApprovers.includes('*')) {
    context.addIssue({
      code: 'custom',
      path: server.approvers ? ['servers', index, 'approvers'] : ['approvals', 'approvers'],
      message: `server '${server.name}' ${why}${server.approvers ? '' : ' (inherited from approvals.approvers)'}`,
    });
  }
  for (const [tool, override] of Object.entries(server.tools)) {
    if (override.approvers?.includes('*')) {
      context.addIssue({
        code: 'custom',
        path: ['servers', index, 'tools', tool, 'approvers'],
        message: `tool '${tool}' of server '${server.name}' ${why}`,
      });
    }
  }
}

export type ToolgateConfig = z.infer<typeof ConfigSchema>;
export type ServerConfig = z.infer<typeof ServerConfig>;
export type SlackConfig = z.infer<typeof SlackSettings>;
export type ToolOverrideConfig = z.infer<typeof ToolOverride>;
export type ApiRoles = ToolgateConfig['api']['roles'];
export type DeploymentConfig = ToolgateConfig['temporal']['deployment'];

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function formatPath(path: PropertyKey[]): string {
  return path
    .map((part) => (typeof part === 'number' ? `[${part}]` : `.${String(part)}`))
    .join('')
    .replace(/^\./, '');
}

/** Replaces ${NAME} (or ${NAME:-default}) in every string, refusing to start when a variable without default is missing. */
function interpolate(value: unknown, path: PropertyKey[], env: NodeJS.ProcessEnv): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_match, name: string, fallback?: string) => {
      const resolved = env[name] || fallback;
      if (resolved === undefined) throw new ConfigError(`${formatPath(path)}: environment variable ${name} is not set`);
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolate(item, [...path, index], env));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolate(item, [...path, key], env)]),
    );
  }
  return value;
}

export function parseConfig(raw: unknown, source: string, env: NodeJS.ProcessEnv = process.env): ToolgateConfig {
  let resolved: unknown;
  try {
    resolved = interpolate(raw ?? {}, [], env);
  } catch (error) {
    if (error instanceof ConfigError) throw new ConfigError(`Invalid configuration in ${source}: ${error.message}`);
    throw error;
  }
  const parsed = ConfigSchema.safeParse(resolved);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${formatPath(issue.path) || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration in ${source}:\n${problems.join('\n')}`);
  }
  return parsed.data;
}

export function loadConfig(path: string, env: NodeJS.ProcessEnv = process.env): ToolgateConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`Cannot read configuration file ${path}: ${(error as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`Configuration file ${path} is not valid YAML: ${(error as Error).message}`);
  }
  return parseConfig(raw, path, env);
}

/** A tool previewed by itself would run the very call awaiting approval, before anyone approved it. */
function checkPreviews(server: z.infer<typeof ServerConfig>, index: number, context: z.RefinementCtx): void {
  for (const [tool, override] of Object.entries(server.tools)) {
    if (override.preview?.tool === tool)
      context.addIssue({
        code: 'custom',
        path: ['servers', index, 'tools', tool, 'preview', 'tool'],
        message: 'a tool cannot preview itself: the preview runs before the approval',
      });
  }
}
