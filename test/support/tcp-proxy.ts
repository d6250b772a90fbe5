import net from "node:net";

/**
 * TcpProxy stands between the service and a backing server (Redis) so a test can break the link
 * the ways production breaks it, without touching the server other suites share: `stall` keeps the
 * connections open but lets no byte through (a paused or overloaded server, a half-open link);
 * `cut` resets every connection and refuses new ones (the server killed); `restore` heals both.
 */
export interface TcpProxy {
  url: string;
  stall(): void;
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** startTcpProxy listens on a free loopback port and forwards to target (a redis:// URL or similar). */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const { hostname, port, protocol } = new URL(target);
  let mode: "open" | "stalled" | "cut" = "open";
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket; held: Array<[net.Socket, Buffer]> }>();

  const server = net.createServer((client) => {
    if (mode === "cut") {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect({ host: hostname, port: Number(port) });
    const pair = { client, upstream, held: [] as Array<[net.Socket, Buffer]> };
    pairs.add(pair);
    const forward = (to: net.Socket) => (chunk: Buffer) => {
      if (mode === "stalled") pair.held.push([to, chunk]);
      else to.write(chunk);
    };
    client.on("data", forward(upstream));
    upstream.on("data", forward(client));
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on("close", end);
    upstream.on("close", end);
    client.on("error", end);
    upstream.on("error", end);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port: proxyPort } = server.address() as net.AddressInfo;

  return {
    url: `${protocol}//127.0.0.1:${proxyPort}`,
    stall: () => {
      mode = "stalled";
    },
    cut: () => {
      mode = "cut";
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
    },
    restore: () => {
      mode = "open";
      for (const pair of pairs) {
        for (const [to, chunk] of pair.held) to.write(chunk);
        pair.held = [];
      }
    },
    close: async () => {
      for (const { client, upstream } of pairs) {
        client.destroy();
        upstream.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
