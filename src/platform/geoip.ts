import fs from "node:fs";
import maxmind, { type CityResponse, type Reader } from "maxmind";

/** Place is where an address is, as far as a GeoIP database knows. */
export interface Place {
  /** ISO 3166-1 alpha-2 country code. */
  country: string | undefined;
  city: string | undefined;
  latitude: number | undefined;
  longitude: number | undefined;
}

/** GeoIp places a client address. */
export interface GeoIp {
  /** locate returns what the database knows of the address, or undefined for none (private addresses, unknown networks). */
  locate(ipAddress: string | undefined): Place | undefined;
  /** close stops watching the database file. */
  close(): void;
}

/** noGeoIp is the locator when GEOIP_DB_FILE is not set: every address is unknown. */
export const noGeoIp: GeoIp = { locate: () => undefined, close: () => undefined };

/**
 * openGeoIp opens a GeoIP2 or GeoLite2 City database (MaxMind DB format). The file is watched and
 * read again when it is replaced, so a monthly update needs no restart.
 */
export async function openGeoIp(file: string): Promise<GeoIp> {
  const reader: Reader<CityResponse> = await maxmind.open<CityResponse>(file, { watchForUpdates: true, watchForUpdatesNonPersistent: true });
  return {
    locate(ipAddress) {
      if (!ipAddress || !maxmind.validate(ipAddress)) return undefined;
      const found = reader.get(ipAddress);
      if (!found) return undefined;
      return {
        country: found.country?.iso_code ?? found.registered_country?.iso_code,
        city: found.city?.names?.en,
        latitude: found.location?.latitude,
        longitude: found.location?.longitude,
      };
    },
    close: () => fs.unwatchFile(file),
  };
}
