// A worker advertises where it serves live events in its Temporal identity, so that API replicas find it among
// the task queue's pollers (describeTaskQueue) without any registry: `<pid>@<host> live=<url>`.

const LIVE_URL = / live=(\S+)$/;

export function identityWithLiveUrl(identity: string, url: string): string {
  return `${identity} live=${url}`;
}

/** The live URL a poller's identity advertises, if any. */
export function liveUrlOf(identity: string): string | undefined {
  return LIVE_URL.exec(identity)?.[1];
}
