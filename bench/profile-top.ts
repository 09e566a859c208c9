// Top frames of a V8 CPU profile (`--cpu-prof`, e.g. through the bench's `--worker-node-options`), by self time,
// and optionally in ms per round: `node bench/profile-top.ts FILE.cpuprofile [--rounds N] [--top 30] [--by url]`.
// `--under REGEX` counts only samples with a matching frame on the stack; `--inclusive` counts callers too.
// `--by url` sums self time per script instead of per function: which package the time goes to.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { z } from 'zod';

const CpuProfile = z.object({
  nodes: z.array(
    z.object({
      id: z.number(),
      callFrame: z.object({ functionName: z.string(), url: z.string(), lineNumber: z.number() }),
      children: z.array(z.number()).optional(),
    }),
  ),
  startTime: z.number(),
  endTime: z.number(),
  samples: z.array(z.number()),
  timeDeltas: z.array(z.number()),
});

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    rounds: { type: 'string' },
    top: { type: 'string', default: '30' },
    by: { type: 'string' },
    inclusive: { type: 'boolean', default: false },
    under: { type: 'string' },
  },
});
const rounds = values.rounds ? Number(values.rounds) : undefined;
for (const file of positionals) {
  const profile = CpuProfile.parse(JSON.parse(readFileSync(file, 'utf8')));
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const parents = new Map(profile.nodes.flatMap((node) => (node.children ?? []).map((child) => [child, node.id])));
  const selfUs = new Map<string, number>();
  let busyUs = 0;
  const keyOf = (frame: z.infer<typeof CpuProfile>['nodes'][number]['callFrame']): string => {
    const shortUrl = frame.url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(?=[^/]+\/[^/]+$)/, '');
    return values.by === 'url'
      ? shortUrl || frame.functionName
      : `${frame.functionName || '(anonymous)'} ${shortUrl}:${frame.lineNumber + 1}`;
  };
  profile.samples.forEach((id, index) => {
    const frame = frames.get(id)!;
    const delta = profile.timeDeltas[index] ?? 0;
    // Inclusive: every distinct frame on the sample's stack gets the sample once (recursion counted once).
    if (values.under) {
      const pattern = new RegExp(values.under);
      let node: number | undefined = id;
      while (node !== undefined && !pattern.test(keyOf(frames.get(node)!))) node = parents.get(node);
      if (node === undefined) return;
    }
    const keys = new Set<string>();
    for (let node: number | undefined = id; node !== undefined; node = values.inclusive ? parents.get(node) : undefined)
      keys.add(keyOf(frames.get(node)!));
    for (const key of keys) selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
    if (!['(idle)', '(program)', '(garbage collector)'].includes(frame.functionName)) busyUs += delta;
  });
  const perRound = (us: number): string => (rounds ? ` ${(us / 1000 / rounds).toFixed(2)} ms/round` : '');
  console.log(
    `${file}: ${((profile.endTime - profile.startTime) / 1e6).toFixed(1)} s, busy in JS ${(busyUs / 1000).toFixed(0)} ms${perRound(busyUs)}`,
  );
  const top = [...selfUs.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top));
  for (const [key, us] of top) console.log(`${(us / 1000).toFixed(1).padStart(9)} ms${perRound(us)}  ${key}`);
}
