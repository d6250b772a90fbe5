import { maskPhone } from "../shared/phone.js";
import type { Logger } from "./logger.js";

/** SmsSender delivers a text message to a phone number in E.164 form. */
export interface SmsSender {
  /** send delivers text to the number, or throws when it could not be handed over. */
  send(to: string, text: string): Promise<void>;
}

/**
 * LogSmsSender is the development sender: nothing leaves the process, and the message (its code
 * included) is logged so a developer can type it, except in production, where only the fact is logged.
 */
export class LogSmsSender implements SmsSender {
  constructor(
    private readonly log: Logger,
    private readonly revealText: boolean,
  ) {}

  async send(to: string, text: string): Promise<void> {
    this.log.warn({ to: maskPhone(to), ...(this.revealText && { text }) }, "SMS not sent: no SMS_WEBHOOK_URL is configured");
  }
}

/**
 * WebhookSmsSender hands messages to an HTTP endpoint (an SMS gateway or a relay in front of one):
 * POST {"to", "text"} as JSON, with a bearer token when configured. Any answer but 2xx, or none
 * within the timeout, is a failure.
 */
export class WebhookSmsSender implements SmsSender {
  constructor(
    private readonly url: string,
    private readonly token: string | undefined,
    private readonly timeoutMs = 5_000,
  ) {}

  async send(to: string, text: string): Promise<void> {
    const response = await fetch(this.url, {
      method: "POST",
      headers: { "content-type": "application/json", ...(this.token && { authorization: `Bearer ${this.token}` }) },
      body: JSON.stringify({ to, text }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    await response.body?.cancel();
    if (!response.ok) throw new Error(`the SMS webhook answered ${response.status}`);
  }
}
