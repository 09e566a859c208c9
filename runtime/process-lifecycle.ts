// What every toolgate process (worker, API, `npm start`) does the same way: find its config, stop once.

/** `--config`, else $TOOLGATE_CONFIG, else the shipped default. */
export function configPath(flag: string | undefined): string {
  return flag ?? process.env.TOOLGATE_CONFIG ?? 'config/toolgate.yaml';
}

/** Calls `stop` on the first SIGINT or SIGTERM; later signals are ignored while it runs. */
export function onStopSignal(stop: (signal: NodeJS.Signals) => void): void {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      stop(signal);
    });
  }
}
