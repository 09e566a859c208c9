import type { EventPage, NewRoundEvent, RoundEvent } from './contract.ts';

/** Bounded in-workflow event log: clients page through it by id, the oldest entries fall off first. */
export class EventLog {
  private readonly events: RoundEvent[] = [];
  private nextId = 1;
  private readonly capacity: number;
  done = false;

  constructor(capacity = 1000) {
    this.capacity = capacity;
  }

  emit(event: NewRoundEvent): void {
    this.events.push({ ...event, id: this.nextId++, at: new Date().toISOString() });
    if (this.events.length > this.capacity) this.events.shift();
  }

  page(afterId = 0): EventPage {
    return {
      events: this.events.filter((event) => event.id > afterId),
      firstAvailableId: this.events[0]?.id ?? this.nextId,
      done: this.done,
    };
  }
}
