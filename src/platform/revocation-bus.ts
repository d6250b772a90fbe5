import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";

/**
 * RevocationBus tells every replica that a session was revoked. Subscribers learn when delivery
 * may have gaps (the Redis subscription dropped), so they can stop trusting what they cached.
 */
export interface RevocationBus {
  publish(sessionId: string): Promise<void>;
  subscribe(onRevoked: (sessionId: string) => void, onReliabilityChange: (reliable: boolean) => void): Promise<void>;
  close(): Promise<void>;
}

/** MemoryRevocationBus is the single-process bus of embedded mode; it never misses a message. */
export class MemoryRevocationBus implements RevocationBus {
  private readonly events = new EventEmitter();

  async publish(sessionId: string): Promise<void> {
    this.events.emit("revoked", sessionId);
  }

  async subscribe(onRevoked: (sessionId: string) => void, onReliabilityChange: (reliable: boolean) => void): Promise<void> {
    this.events.on("revoked", onRevoked);
    onReliabilityChange(true);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

/**
 * RedisRevocationBus uses Redis pub/sub. Pub/sub channels ignore the client's key prefix, so the
 * channel name carries it explicitly to keep deployments (and test runs) sharing a Redis apart.
 * A stalled Redis keeps the subscription open but delivers nothing, so the subscriber pings every
 * `heartbeatMs` and reports delivery unreliable while pings go unanswered.
 */
export class RedisRevocationBus implements RevocationBus {
  private readonly channel: string;
  private subscriber: Redis | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private onRevoked: ((sessionId: string) => void) | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly heartbeatMs = 1_000,
  ) {
    this.channel = `${namespace}session-revoked`;
  }

  async publish(sessionId: string): Promise<void> {
    // The echo through Redis can arrive after the revoking call has answered; this replica must
    // refuse the session as soon as its client learns of the revocation, so it is told first.
    this.onRevoked?.(sessionId);
    await this.redis.publish(this.channel, sessionId);
  }

  async subscribe(onRevoked: (sessionId: string) => void, onReliabilityChange: (reliable: boolean) => void): Promise<void> {
    this.onRevoked = onRevoked;
    // The subscription is queued until connected; it is re-sent by ioredis after every reconnect.
    const subscriber = this.redis.duplicate({
      keyPrefix: "",
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      connectionName: `${this.channel}-subscriber`,
    });
    this.subscriber = subscriber;
    subscriber.on("message", (channel: string, sessionId: string) => {
      if (channel === this.channel) onRevoked(sessionId);
    });
    // Messages may be lost from a drop until Redis confirms the subscription again: "ready" comes
    // before ioredis re-subscribes, so reliability returns only with the SUBSCRIBE reply.
    let subscribed = false;
    const report = (reliable: boolean) => onReliabilityChange(reliable && subscribed);
    const lost = () => {
      subscribed = false;
      report(false);
    };
    const confirm = () =>
      subscriber.subscribe(this.channel).then(() => {
        subscribed = true;
        report(true);
      }, lost);
    subscriber.on("close", lost);
    subscriber.on("error", lost);
    subscriber.on("ready", () => void confirm());
    this.heartbeat = setInterval(() => {
      if (subscriber.status === "ready") subscriber.ping().then(() => report(true), () => report(false));
    }, this.heartbeatMs).unref();
    await confirm();
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.subscriber?.disconnect();
  }
}
