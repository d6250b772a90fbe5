import type net from "node:net";
import { Counter, type Registry } from "prom-client";
import type { ConnectionLimits } from "../config.js";

/** Admit is run first on every accepted socket: false means the socket was refused and destroyed. */
export type Admit = (socket: net.Socket) => boolean;

/**
 * limitConnections caps the connections `listener` holds open: `maxConnections` in all (node closes
 * the excess as it accepts them) and `maxConnectionsPerAddress` per TCP peer address, which the
 * returned Admit enforces. Refusals are counted in `http_connections_refused_total{reason}` when a
 * registry is given: one client must not use up the file descriptors everyone else needs.
 */
export function limitConnections(
  listener: net.Server,
  limits: Pick<ConnectionLimits, "maxConnections" | "maxConnectionsPerAddress">,
  metrics: Registry | undefined,
): Admit {
  const refused =
    metrics &&
    new Counter({
      name: "http_connections_refused_total",
      help: "Connections closed as they were accepted, by the limit they hit (total, per_address).",
      labelNames: ["reason"] as const,
      registers: [metrics],
    });
  listener.maxConnections = limits.maxConnections;
  listener.on("drop", () => refused?.inc({ reason: "total" }));

  const perAddress = limits.maxConnectionsPerAddress;
  const open = new Map<string, number>();
  return (socket) => {
    if (perAddress === 0) return true;
    const address = socket.remoteAddress;
    if (address === undefined) {
      socket.destroy(); // already gone
      return false;
    }
    const count = open.get(address) ?? 0;
    if (count >= perAddress) {
      socket.destroy();
      refused?.inc({ reason: "per_address" });
      return false;
    }
    open.set(address, count + 1);
    socket.once("close", () => {
      const left = (open.get(address) ?? 1) - 1;
      if (left === 0) open.delete(address);
      else open.set(address, left);
    });
    return true;
  };
}
