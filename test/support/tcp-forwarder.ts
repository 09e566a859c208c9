// One address for several API replicas: a TCP forwarder whose backend a test switches, as a load balancer would.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../scripts/ports.ts';

export interface Forwarder {
  url: string;
  /** New connections go to this port (an unused one: every connection is refused, as with no replica up). */
  switchTo(port: number): void;
  /** Breaks every open connection, as a replica's death or a cut network does. */
  cut(): void;
  close(): void;
}

export async function forwarder(initialPort: number): Promise<Forwarder> {
  let target = initialPort;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        sockets.delete(socket);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const cut = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    switchTo: (next) => void (target = next),
    cut,
    close() {
      cut();
      server.close();
    },
  };
}
