// Approval notifications (Slack cards) run beside the approval, never in its way: a notification outage only
// delays the card, and cancelling the round does not stop the card from being updated.
import { CancellationScope, condition, log, proxyActivities } from '@temporalio/workflow';
import type { Duration } from '@temporalio/common';
import type { ApprovalRecord, NotificationRef, ReminderStep, ToolgateActivities } from './contract.ts';

const { notifyApprovalOpened, notifyApprovalClosed, notifyApprovalStep } = proxyActivities<ToolgateActivities>({
  startToCloseTimeout: '15 seconds',
  scheduleToCloseTimeout: '10 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

export class ApprovalNotices {
  private readonly enabled: boolean;
  /** The approval as the round keeps it now (with its notification once posted). */
  private readonly current: (approvalId: string) => ApprovalRecord | undefined;
  private readonly onPosted: (approvalId: string, notification: NotificationRef) => void;
  private readonly posted = new Map<string, Promise<NotificationRef | null>>();
  /** The last reminder step's notification of an approval: its close waits for it, so the card ends closed. */
  private readonly stepping = new Map<string, Promise<unknown>>();
  private running = 0;

  constructor(options: {
    enabled: boolean;
    current: (approvalId: string) => ApprovalRecord | undefined;
    onPosted: (approvalId: string, notification: NotificationRef) => void;
  }) {
    this.enabled = options.enabled;
    this.current = options.current;
    this.onPosted = options.onPosted;
  }

  opened(approval: ApprovalRecord): void {
    if (!this.enabled) return;
    const posting = this.background(approval.approvalId, () => notifyApprovalOpened({ approval })).then((ref) => {
      if (ref) this.onPosted(approval.approvalId, ref);
      return ref;
    });
    this.posted.set(approval.approvalId, posting);
  }

  /**
   * A reminder step: a reply to the card naming the approvers, the card redrawn, and an escalation posted to its
   * channel (`slackChannel`, else the card's). Steps of one approval are told in order.
   */
  stepped(approvalId: string, step: ReminderStep, slackChannel: string | undefined): void {
    if (!this.enabled) return;
    const posting = this.posted.get(approvalId);
    const before = this.stepping.get(approvalId);
    const telling = this.background(approvalId, async () => {
      await before;
      const notification = posting ? await posting : null;
      const approval = this.current(approvalId);
      if (!approval) return;
      await notifyApprovalStep({
        approval,
        step,
        ...(notification ? { notification } : {}),
        ...(slackChannel === undefined ? {} : { slackChannel }),
      });
    });
    this.stepping.set(approvalId, telling);
  }

  closed(approvalId: string): void {
    const posting = this.posted.get(approvalId);
    if (!posting) return;
    const stepping = this.stepping.get(approvalId);
    void this.background(approvalId, async () => {
      if (stepping) await stepping;
      const notification = await posting;
      const approval = this.current(approvalId);
      if (notification && approval) await notifyApprovalClosed({ approval, notification });
    });
  }

  /** Redraws the posted card as the approval is now, while it is still pending (re-addressed by a policy re-check). */
  updated(approvalId: string): void {
    this.closed(approvalId);
  }

  /** Lets in-flight notifications finish before the round returns, for at most `timeout`. */
  async settle(timeout: Duration): Promise<void> {
    await condition(() => this.running === 0, timeout);
  }

  private async background<T>(approvalId: string, work: () => Promise<T>): Promise<T | null> {
    this.running++;
    try {
      return await CancellationScope.nonCancellable(work);
    } catch (error) {
      log.warn('approval notification failed', { approvalId, error: (error as Error).message });
      return null;
    } finally {
      this.running--;
    }
  }
}
