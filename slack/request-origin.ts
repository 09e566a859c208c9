// Which workspace and app a Slack request comes from. Slack user ids are unique only within a workspace, so
// the user map means something only for clicks from the configured workspace, through the configured app.
import type { App } from '@slack/bolt';
import type { Logger } from 'pino';
import { z } from 'zod';

const Origin = z.object({
  team: z.object({ id: z.string() }).nullish(),
  user: z.object({ team_id: z.string().optional() }).nullish(),
  api_app_id: z.string().optional(),
});

export interface ExpectedOrigin {
  teamId: string;
  appId: string;
}

/** Undefined when the request comes from `expected`; else what it claims, to log. Missing fields fail. */
export function foreignOrigin(
  body: unknown,
  expected: ExpectedOrigin,
): { teamId?: string | undefined; userTeamId?: string | undefined; appId?: string | undefined } | undefined {
  const parsed = Origin.safeParse(body);
  if (!parsed.success) return {};
  const seen = { teamId: parsed.data.team?.id, userTeamId: parsed.data.user?.team_id, appId: parsed.data.api_app_id };
  const ours = seen.teamId === expected.teamId && seen.userTeamId === expected.teamId && seen.appId === expected.appId;
  return ours ? undefined : seen;
}

/**
 * Global middleware, before every listener: a request from elsewhere is neither acknowledged nor handled
 * (HTTP mode answers 404, Slack shows the clicker an error), and no ephemeral reply goes to its response URL.
 */
export function requireOrigin(app: App, expected: ExpectedOrigin, logger: Logger): void {
  app.use(async ({ body, next }) => {
    const foreign = foreignOrigin(body, expected);
    if (!foreign) return next();
    logger.warn({ seen: foreign }, 'Slack request from another workspace or app refused');
  });
}
