// A TCP proxy in front of a shared server (Postgres, Redis) for chaos tests: cut() destroys every connection and
// refuses new ones until restore(), which from the client's side is exactly a server restart — without restarting
// the server other tests are using at the same time.
import net from 'node:net';

export interface TcpProxy {
  /** 127.0.0.1 port the proxy listens on */
  port: number;
  /** Rewrites a postgresql:// or redis:// URL to go through the proxy (host and port replaced). */
  url(target: string): string;
  /** Destroys every open connection (both sides, no goodbye) and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  /** Connections accepted so far (a client that reconnected after a cut shows up here). */
  accepted(): number;
  open(): number;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const pairs = new Set<[net.Socket, net.Socket]>();
  let up = true;
  let accepted = 0;
  const server = net.createServer((client) => {
    // While cut the port still accepts (the kernel does) but every connection dies at once: a refused or reset
    // connection is what a client sees of a restarting server.
    if (!up) return client.destroy();
    accepted++;
    const upstream = net.connect(target.port, target.host);
    const pair: [net.Socket, net.Socket] = [client, upstream];
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const destroyAll = () => {
    for (const [a, b] of pairs) {
      // resetAndDestroy sends RST, as a killed server's kernel would; fall back where the socket is not connected yet.
      if (a.resetAndDestroy) a.resetAndDestroy(); else a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url(t) {
      const u = new URL(t);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut() {
      up = false;
      destroyAll();
    },
    restore() {
      up = true;
    },
    accepted: () => accepted,
    open: () => pairs.size,
    async close() {
      up = false;
      destroyAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
