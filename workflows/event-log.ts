import type { EventPage, NewRoundEvent, RoundEvent } from './contract.ts';

/**
 * Bounded in-workflow event log: clients page through it by id, the oldest entries fall off first, except those
 * `kept` says must stay (an `approval_required` whose approval is still pending: a client that connects late
 * must still learn what waits for a decision). Ids may then have gaps after `firstAvailableId`. Only queries
 * read the log, so what it drops never reaches history: no patch guards it.
 */
export class EventLog {
  private readonly events: RoundEvent[] = [];
  private nextId = 1;
  private readonly capacity: number;
  private readonly kept: (event: RoundEvent) => boolean;
  done = false;

  constructor(capacity = 1000, kept: (event: RoundEvent) => boolean = () => false) {
    this.capacity = capacity;
    this.kept = kept;
  }

  emit(event: NewRoundEvent): void {
    this.events.push({ ...event, id: this.nextId++, at: new Date().toISOString() });
    if (this.events.length <= this.capacity) return;
    // Entries are only ever removed, so the log stays in id order. The newest always stays; when every older
    // entry must stay too (more pending approvals than the capacity), the log grows by them, bounded by the calls
    // of one reply.
    const newest = this.events.length - 1;
    const oldest = this.events.findIndex((entry, index) => index < newest && !this.kept(entry));
    if (oldest >= 0) this.events.splice(oldest, 1);
  }

  page(afterId = 0): EventPage {
    return {
      events: this.events.filter((event) => event.id > afterId),
      firstAvailableId: this.events[0]?.id ?? this.nextId,
      done: this.done,
    };
  }
}
