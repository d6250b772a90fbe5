import { randomBytes } from "node:crypto";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { servicesAvailable } from "./services.js";

/** SANCTIONS_FIXTURES is the folder of the synthetic sanctions and PEP lists. */
export const SANCTIONS_FIXTURES = fileURLToPath(new URL("../fixtures/sanctions/", import.meta.url));

/** SCREENING_ENV points a test app at the synthetic sanctions and PEP lists. */
export const SCREENING_ENV = { SANCTIONS_LIST_FILE: path.join(SANCTIONS_FIXTURES, "sdn.csv"), PEP_LIST_FILE: path.join(SANCTIONS_FIXTURES, "pep.txt") };

/** deliverableEmail is a fresh address under a domain mail reaches (neither reserved for examples nor throwaway), which identity verification can pass. */
export const deliverableEmail = (label = "user") => `${label}.${randomBytes(5).toString("hex")}@northbridge-capital.co.uk`;

/**
 * JOB_SETUP_TIMEOUT_MS bounds starting a JOB_SETUPS app: PGlite and the screening lists load in
 * seconds alone, and several times slower while the other suites load the same two cores.
 */
export const JOB_SETUP_TIMEOUT_MS = 90_000;

/** JobSetup is how a test app runs its jobs. */
export type JobSetup = { embedded?: boolean; runWorkers?: boolean };

/**
 * JOB_SETUPS are the ways jobs run, for describe.each: embedded (PGlite, jobs in process) and, where
 * the services are, Postgres and Redis with the relay and the BullMQ workers in the app.
 */
export const JOB_SETUPS: Array<[string, JobSetup]> = [["embedded (PGlite, jobs in process)", { embedded: true }]];
if (await servicesAvailable()) JOB_SETUPS.push(["Postgres and Redis (relay and BullMQ workers)", { runWorkers: true }]);
