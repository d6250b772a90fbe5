import { describe, expect, it } from "@jest/globals";
import { createClient } from "@connectrpc/connect";
import { Health, HealthCheckResponse_ServingStatus } from "../../gen/grpc/health/v1/health_pb.js";
import { startTestApp } from "../support/app.js";
import { servicesAvailable } from "../support/services.js";

const describeWithServices = (await servicesAvailable()) ? describe : describe.skip;

describeWithServices("grpc.health.v1.Health", () => {
  describe("Watch", () => {
    it("ends open watches on shutdown instead of holding it for the grace period", async () => {
      // The test app's grace period is 5 s; a watcher left running would hold close() that long.
      const t = await startTestApp();
      const watch = createClient(Health, t.transport()).watch({ service: "" });
      const first = await watch[Symbol.asyncIterator]().next();
      expect(first.value?.status).toBe(HealthCheckResponse_ServingStatus.SERVING);

      const started = performance.now();
      await t.close();
      expect(performance.now() - started).toBeLessThan(2_000);
    });
  });
});
