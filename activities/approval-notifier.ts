import type { ApprovalRecord, NotificationRef } from '../workflows/contract.ts';

/** Tells people about approvals (Slack). Throwing makes Temporal retry; null means "nobody to tell". */
export interface ApprovalNotifier {
  opened(approval: ApprovalRecord): Promise<NotificationRef | null>;
  closed(approval: ApprovalRecord, notification: NotificationRef): Promise<void>;
}
