import { EventEmitter } from "node:events";
import type { Redis } from "ioredis";

/** RevocationListener is what a replica does with what the bus tells it. */
export interface RevocationListener {
  /** A session was revoked: refuse it. */
  sessionRevoked(sessionId: string): void;
  /** What a user may do changed (status, platform roles): read it again. */
  userChanged(userId: string): void;
  /** Delivery may have gaps (false) or is whole again (true). */
  reliabilityChanged(reliable: boolean): void;
}

/**
 * RevocationBus tells every replica that a session was revoked or that a user's standing changed.
 * Subscribers learn when delivery may have gaps (the Redis subscription dropped), so they can stop
 * trusting what they cached.
 */
export interface RevocationBus {
  publish(sessionId: string): Promise<void>;
  publishUserChanged(userId: string): Promise<void>;
  subscribe(listener: RevocationListener): Promise<void>;
  close(): Promise<void>;
}

/** MemoryRevocationBus is the single-process bus of embedded mode; it never misses a message. */
export class MemoryRevocationBus implements RevocationBus {
  private readonly events = new EventEmitter();

  async publish(sessionId: string): Promise<void> {
    this.events.emit("revoked", sessionId);
  }

  async publishUserChanged(userId: string): Promise<void> {
    this.events.emit("user-changed", userId);
  }

  async subscribe(listener: RevocationListener): Promise<void> {
    this.events.on("revoked", (sessionId: string) => listener.sessionRevoked(sessionId));
    this.events.on("user-changed", (userId: string) => listener.userChanged(userId));
    listener.reliabilityChanged(true);
  }

  async close(): Promise<void> {
    this.events.removeAllListeners();
  }
}

/**
 * RedisRevocationBus uses Redis pub/sub, a channel for each kind of message. Pub/sub channels ignore
 * the client's key prefix, so the channel names carry it explicitly to keep deployments (and test
 * runs) sharing a Redis apart.
 * A stalled Redis keeps the subscription open but delivers nothing, so the subscriber pings every
 * `heartbeatMs` and reports delivery unreliable while pings go unanswered.
 */
export class RedisRevocationBus implements RevocationBus {
  private readonly channel: string;
  private readonly userChannel: string;
  private subscriber: Redis | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private listener: RevocationListener | undefined;

  constructor(
    private readonly redis: Redis,
    namespace: string,
    private readonly heartbeatMs = 1_000,
  ) {
    this.channel = `${namespace}session-revoked`;
    this.userChannel = `${namespace}user-changed`;
  }

  // The echo through Redis can arrive after the changing call has answered; this replica must act
  // on the change as soon as its client learns of it, so it is told first.
  async publish(sessionId: string): Promise<void> {
    this.listener?.sessionRevoked(sessionId);
    await this.redis.publish(this.channel, sessionId);
  }

  async publishUserChanged(userId: string): Promise<void> {
    this.listener?.userChanged(userId);
    await this.redis.publish(this.userChannel, userId);
  }

  async subscribe(listener: RevocationListener): Promise<void> {
    this.listener = listener;
    // The subscription is queued until connected; it is re-sent by ioredis after every reconnect.
    const subscriber = this.redis.duplicate({
      keyPrefix: "",
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      connectionName: `${this.channel}-subscriber`,
    });
    this.subscriber = subscriber;
    subscriber.on("message", (channel: string, id: string) => {
      if (channel === this.channel) listener.sessionRevoked(id);
      else if (channel === this.userChannel) listener.userChanged(id);
    });
    // Messages may be lost from a drop until Redis confirms the subscription again: "ready" comes
    // before ioredis re-subscribes, so reliability returns only with the SUBSCRIBE reply.
    let subscribed = false;
    const report = (reliable: boolean) => listener.reliabilityChanged(reliable && subscribed);
    const lost = () => {
      subscribed = false;
      report(false);
    };
    const confirm = () =>
      subscriber.subscribe(this.channel, this.userChannel).then(() => {
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
