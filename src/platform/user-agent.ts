import UAParser from "ua-parser-js";
import type { DeviceTypeValue } from "../db/tables/sessions.js";

/** ClientDescription is what a user agent string says about the client. */
export interface ClientDescription {
  browser: string | undefined;
  os: string | undefined;
  deviceType: DeviceTypeValue | undefined;
}

// Operating systems that run on desktops and laptops: ua-parser leaves their device type unset.
const DESKTOP_SYSTEMS = new Set(["Windows", "Mac OS", "macOS", "Linux", "Ubuntu", "Debian", "Fedora", "Chromium OS", "FreeBSD"]);

/** describeClient reads the browser ("Chrome 120"), the OS ("iOS 17.1") and the kind of device from a user agent string (ua-parser-js). */
export function describeClient(userAgent: string | undefined): ClientDescription {
  if (!userAgent) return { browser: undefined, os: undefined, deviceType: undefined };
  const { browser, os, device } = new UAParser(userAgent).getResult();
  const named = (name: string | undefined, version: string | undefined) => (name ? [name, version].filter(Boolean).join(" ") : undefined);
  const deviceType: DeviceTypeValue | undefined =
    device.type === "mobile" || device.type === "tablet" ? device.type : os.name && DESKTOP_SYSTEMS.has(os.name) ? "desktop" : undefined;
  return { browser: named(browser.name, browser.major), os: named(os.name, os.version), deviceType };
}
