// Warns before a round nears Temporal's history limits (by default a warning at 10 MB or 10,240 events and a
// failure at 50 MB or 51,200 events): in the worker's log, in a metric, and in the Web UI's current details.
import { log, metricMeter, workflowInfo } from '@temporalio/workflow';

const WARN_BYTES = 5 * 1024 * 1024;
const WARN_EVENTS = 5000;

const nearLimit = metricMeter.createCounter(
  'toolgate_round_history_near_limit',
  '1',
  'Rounds whose history passed 5 MB or 5,000 events (Temporal warns at 10 MB / 10,240 and fails at 50 MB / 51,200)',
);

export class HistoryWatch {
  private warned = false;

  /** A line for the round's current details once the history is large, otherwise undefined. */
  check(): string | undefined {
    const { historySize, historyLength } = workflowInfo();
    if (historySize < WARN_BYTES && historyLength < WARN_EVENTS) return undefined;
    const text = `history is large: ${(historySize / 1024 / 1024).toFixed(1)} MB, ${historyLength} events`;
    if (!this.warned) {
      this.warned = true;
      log.warn('round history nears Temporal limits', { historySize, historyLength });
      nearLimit.add(1);
    }
    return text;
  }
}
