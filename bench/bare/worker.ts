// The bare-Temporal worker of the benchmarks: `node bench/bare/worker.ts --address A --task-queue Q`; prints READY.
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { bareActivities } from './activities.ts';

Runtime.install({ logger: new DefaultLogger('WARN') });
const { values } = parseArgs({ options: { address: { type: 'string' }, 'task-queue': { type: 'string' } } });
const connection = await NativeConnection.connect({ address: values.address! });
const worker = await Worker.create({
  connection,
  taskQueue: values['task-queue']!,
  workflowsPath: fileURLToPath(new URL('./workflows.ts', import.meta.url)),
  activities: bareActivities,
});
process.on('SIGTERM', () => worker.shutdown());
const running = worker.run();
process.stdout.write('READY {}\n');
try {
  await running;
} finally {
  await connection.close();
}
