import { describe, expect, test } from "@jest/globals";
import YAML from "yaml";
import { loadConfig } from "../../src/config.js";
import { container, find, get, helm, hookList, hookWeight, readmeVariables, render, repoFile, selects, workload, CHART, type Container, type Manifest, type PodTemplate, type WorkloadSpec } from "./chart.js";

// The chart is checked on what `helm template` renders, read as objects: with the default values,
// with the secrets given, and with the optional parts switched (an operator's Secret, TLS, files,
// reference data, no workers, no autoscaler).

const DATA_ENCRYPTION_KEY = Buffer.alloc(32, 7).toString("base64");
const GIVEN = {
  secrets: {
    env: { DATABASE_URL: "postgres://users:secret@postgres:5432/users", REDIS_URL: "redis://:secret@redis:6379", DATA_ENCRYPTION_KEY },
    files: { "jwt-signing-key.pem": "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n" },
  },
};
const SWITCHED = {
  secrets: { existingSecret: "user-service-secrets" },
  worker: { enabled: false },
  autoscaling: { enabled: false },
  tls: { enabled: true, secretName: "user-service-tls" },
  jwt: { previousKeys: ["jwt-previous.pem"] },
  files: { onboardingSteps: '[{"id": "profile", "required": true}]', riskyNetworks: "203.0.113.0/24\n" },
  referenceData: { volume: { persistentVolumeClaim: { claimName: "reference-data" } }, geoipDb: "GeoLite2-City.mmdb", sanctionsList: "sdn.csv", pepList: "pep.txt" },
  networkPolicy: { egress: { postgres: { to: [{ ipBlock: { cidr: "10.20.0.0/16" } }] } } },
  // As values files read them: numbers, and `off` unquoted is false.
  config: { LOG_LEVEL: "debug", JOB_CONCURRENCY: 16, MAX_CONNECTIONS: 1_000_000, SCREENING_MATCH_THRESHOLD: 0.85, ACTIVITY_RECORDING: false },
};

const [defaults, given, switched] = await Promise.all([render(), render(GIVEN), render(SWITCHED)]);
const NAME = "rel-user-service";
const api = workload(defaults, "Deployment", NAME);
const worker = workload(defaults, "Deployment", `${NAME}-worker`);
const migration = workload(defaults, "Job", `${NAME}-migrate`);
const configMap = get(defaults, "ConfigMap", NAME);
const variables = await readmeVariables();

/** The variables whose values are secrets: credentials in URLs, keys, tokens. */
const SECRET = /^(DATABASE_URL|REDIS_URL)$|_(KEY|KEYS|TOKEN|SECRET|PASSWORD)$/;

/** provided lists the variables a container gets: its env entries and the keys of the ConfigMaps and Secrets it takes whole. */
function provided(manifests: Manifest[], c: Container): Map<string, string> {
  const from = new Map<string, string>();
  for (const source of c.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const object = ref && get(manifests, source.configMapRef ? "ConfigMap" : "Secret", ref.name);
    for (const key of Object.keys(object?.data ?? {})) from.set(key, `${object!.kind} ${object!.metadata.name}`);
  }
  for (const entry of c.env ?? []) from.set(entry.name, entry.valueFrom?.secretKeyRef ? `Secret ${entry.valueFrom.secretKeyRef.name}` : "env");
  return from;
}

/** valueOf is a variable's value as the container sees it, when it is not secret. */
function valueOf(manifests: Manifest[], c: Container, name: string): string | undefined {
  const entry = c.env?.find((e) => e.name === name);
  if (entry) return entry.value;
  for (const source of c.envFrom ?? []) {
    const data = source.configMapRef && get(manifests, "ConfigMap", source.configMapRef.name).data;
    if (data && name in data) return data[name];
  }
  return undefined;
}

/** mountOf is the volume mount a path lies under, with its volume. */
function mountOf(pod: PodTemplate, c: Container, file: string) {
  const mount = c.volumeMounts?.find((m) => file.startsWith(`${m.mountPath}/`));
  return mount && { mount, volume: pod.spec.volumes?.find((v) => v.name === mount.name) };
}

const decoded = (secret: Manifest) => Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, "base64").toString("utf8")]));

describe("the chart", () => {
  test("passes helm lint --strict", async () => {
    const { stdout } = await helm("lint", "--strict", CHART);
    expect(stdout).toContain("0 chart(s) failed");
  });

  test("is apiVersion v2 and deploys the service's own version", async () => {
    const chart = YAML.parse(await repoFile("helm/user-service/Chart.yaml")) as { apiVersion: string; appVersion: string };
    const pkg = JSON.parse(await repoFile("package.json")) as { version: string };
    expect(chart.apiVersion).toBe("v2");
    expect(chart.appVersion).toBe(pkg.version);
    expect(container(api).image).toMatch(new RegExp(`:${pkg.version.replace(/\./g, "\\.")}$`));
  });

  test("refuses, through its schema, values that would put a secret or a chart-set variable in the ConfigMap", async () => {
    await expect(helm("lint", "--strict", CHART, "--set", "config.DATABASE_URL=postgres://x")).rejects.toThrow(/DATABASE_URL/);
    await expect(helm("lint", "--strict", CHART, "--set", "config.JWT_PRIVATE_KEY_FILE=/key.pem")).rejects.toThrow(/JWT_PRIVATE_KEY_FILE/);
  });

  test("labels every object with the app.kubernetes.io labels", () => {
    for (const manifest of [...defaults, ...switched]) {
      expect([manifest.kind, manifest.metadata.labels]).toEqual([
        manifest.kind,
        expect.objectContaining({
          "app.kubernetes.io/name": "user-service",
          "app.kubernetes.io/instance": "rel",
          "app.kubernetes.io/version": "0.1.0",
          "app.kubernetes.io/managed-by": "Helm",
        }),
      ]);
    }
  });
});

describe("the API Deployment", () => {
  const c = container(api);
  const grpcPort = c.ports?.find((p) => p.name === "grpc")?.containerPort;

  test("serves, with the rollout and resources of production", () => {
    expect(c.args).toEqual(["serve"]);
    expect(api.strategy).toEqual({ type: "RollingUpdate", rollingUpdate: { maxSurge: 2, maxUnavailable: 1 } });
    expect(c.resources).toEqual({ requests: { cpu: "500m", memory: "1Gi" }, limits: { cpu: "2", memory: "4Gi" } });
  });

  test("runs 3 replicas: the autoscaler's floor, or the Deployment's own count without it", () => {
    // With the autoscaler the Deployment leaves the count to it, so upgrades never reset it.
    expect(api.replicas).toBeUndefined();
    expect((get(defaults, "HorizontalPodAutoscaler", NAME).spec as { minReplicas: number }).minReplicas).toBe(3);
    expect(workload(switched, "Deployment", NAME).replicas).toBe(3);
    expect(find(switched, "HorizontalPodAutoscaler", NAME)).toBeUndefined();
  });

  test("probes grpc.health.v1 on the service port with the kubelet's gRPC probe", () => {
    expect(grpcPort).toBe(8080);
    for (const probe of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      expect(probe?.grpc).toEqual({ port: grpcPort });
      expect(probe?.httpGet).toBeUndefined();
    }
  });

  test("probes the plain HTTP admin port instead when it serves TLS, which the gRPC probe cannot speak", () => {
    const tls = container(workload(switched, "Deployment", NAME));
    expect(tls.readinessProbe).toEqual(expect.objectContaining({ httpGet: { path: "/readyz", port: "admin" } }));
    expect(tls.livenessProbe).toEqual(expect.objectContaining({ httpGet: { path: "/healthz", port: "admin" } }));
    expect(tls.startupProbe?.grpc).toBeUndefined();
  });

  test("selects its own pods only", () => {
    expect(selects(api.selector!.matchLabels, api.template.metadata.labels)).toBe(true);
    expect(selects(api.selector!.matchLabels, worker.template.metadata.labels)).toBe(false);
  });
});

describe("the worker Deployment", () => {
  const c = container(worker);

  test("runs the job workers with replicas and resources of its own", () => {
    expect(c.args).toEqual(["worker"]);
    expect(worker.replicas).toBe(2);
    expect(c.resources?.requests).toBeDefined();
    expect(c.resources).not.toEqual(container(api).resources);
    expect(selects(worker.selector!.matchLabels, worker.template.metadata.labels)).toBe(true);
  });

  test("requires REDIS_URL, and has the API's environment", () => {
    expect(c.env?.find((e) => e.name === "REDIS_URL")?.valueFrom?.secretKeyRef).toEqual(expect.objectContaining({ key: "REDIS_URL", optional: false }));
    expect(c.env).toEqual(container(api).env);
    expect(c.envFrom).toEqual(container(api).envFrom);
  });

  test("is probed on the admin port, where it serves /healthz and /readyz", () => {
    expect(c.ports).toEqual([expect.objectContaining({ name: "admin" })]);
    expect(c.livenessProbe?.httpGet).toEqual({ path: "/healthz", port: "admin" });
    expect(c.readinessProbe?.httpGet).toEqual({ path: "/readyz", port: "admin" });
  });

  test("can be switched off, with its policies", () => {
    expect(switched.filter((m) => m.metadata.labels?.["app.kubernetes.io/component"] === "worker")).toEqual([]);
  });
});

describe("the migration Job", () => {
  const job = get(defaults, "Job", `${NAME}-migrate`);
  const c = container(migration);

  test("runs migrate before every install and upgrade, replacing the last run's Job", () => {
    expect(c.args).toEqual(["migrate"]);
    expect(hookList(job, "helm.sh/hook")).toEqual(expect.arrayContaining(["pre-install", "pre-upgrade"]));
    expect(hookList(job, "helm.sh/hook-delete-policy")).toEqual(expect.arrayContaining(["before-hook-creation", "hook-succeeded"]));
    expect(migration.backoffLimit).toBeGreaterThanOrEqual(1);
    expect((migration.template.spec as { restartPolicy?: string }).restartPolicy).toBe("Never");
  });

  // On a first install Helm makes the release's ordinary objects only after the pre-install hooks:
  // whatever the Job refers to must be a hook made before it, or an object the chart does not make.
  test.each([
    ["the chart's Secret", defaults],
    ["an existingSecret", switched],
  ])("refers to no object a first install has not made yet, with %s", (_, manifests) => {
    const spec = workload(manifests, "Job", `${NAME}-migrate`).template.spec;
    const jobWeight = hookWeight(get(manifests, "Job", `${NAME}-migrate`))!;
    const refs = [
      ["ServiceAccount", spec.serviceAccountName ?? "default"],
      ...spec.containers.flatMap((k) => (k.envFrom ?? []).map((s) => (s.configMapRef ? ["ConfigMap", s.configMapRef.name] : ["Secret", s.secretRef!.name]))),
      ...spec.containers.flatMap((k) => (k.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [["Secret", e.valueFrom.secretKeyRef.name]] : []))),
      ...(spec.volumes ?? []).flatMap((v) => (v.secret ? [["Secret", v.secret.secretName]] : v.configMap ? [["ConfigMap", v.configMap.name]] : [])),
    ] as Array<[string, string]>;
    const late = refs.filter(([kind, name]) => {
      const object = find(manifests, kind, name);
      if (!object) return false;
      const weight = hookWeight(object);
      return weight === undefined || weight >= jobWeight || !hookList(object, "helm.sh/hook").includes("pre-install");
    });
    expect(late).toEqual([]);
    expect(refs.some(([kind]) => kind === "Secret")).toBe(true);
  });

  test("reads DATABASE_URL from its hook Secret, holding the value given", () => {
    const ref = container(workload(given, "Job", `${NAME}-migrate`)).env?.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef;
    expect(ref).toEqual(expect.objectContaining({ key: "DATABASE_URL", optional: false }));
    const secret = get(given, "Secret", ref!.name);
    expect(hookWeight(secret)).toBeLessThan(0);
    expect(decoded(secret)).toEqual({ DATABASE_URL: GIVEN.secrets.env.DATABASE_URL });
  });

  test("reads DATABASE_URL from an existingSecret directly", () => {
    const ref = container(workload(switched, "Job", `${NAME}-migrate`)).env?.find((e) => e.name === "DATABASE_URL")?.valueFrom?.secretKeyRef;
    expect(ref?.name).toBe("user-service-secrets");
  });

  test("has the API's configuration, rendered inline", () => {
    for (const manifests of [defaults, switched]) {
      const inline = Object.fromEntries((container(workload(manifests, "Job", `${NAME}-migrate`)).env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value]));
      const data = get(manifests, "ConfigMap", NAME).data ?? {};
      expect(inline).toEqual(Object.fromEntries(Object.entries(data).filter(([, value]) => value !== "")));
    }
  });
});

describe("the Services", () => {
  const service = get(defaults, "Service", NAME).spec as { selector: Record<string, string>; ports: Array<{ name: string; port: number; targetPort: string; appProtocol?: string }> };
  const metrics = get(defaults, "Service", `${NAME}-metrics`).spec as typeof service;

  test("expose the one API port as grpc, cleartext HTTP/2", () => {
    expect(service.ports).toEqual([expect.objectContaining({ name: "grpc", port: 8080, targetPort: "grpc", appProtocol: "kubernetes.io/h2c" })]);
    expect(selects(service.selector, api.template.metadata.labels)).toBe(true);
    expect(selects(service.selector, worker.template.metadata.labels)).toBe(false);
  });

  test("keep the admin port (ADMIN_PORT) off the API's Service, on a metrics Service of the API and the workers", () => {
    expect(configMap.data?.PORT).toBe("8080");
    expect(configMap.data?.ADMIN_PORT).toBe("9090");
    expect(container(api).ports?.find((p) => p.name === "admin")?.containerPort).toBe(9090);
    expect(metrics.ports).toEqual([expect.objectContaining({ name: "admin", port: 9090, targetPort: "admin" })]);
    expect(selects(metrics.selector, api.template.metadata.labels) && selects(metrics.selector, worker.template.metadata.labels)).toBe(true);
  });
});

describe("the configuration", () => {
  test("finds the variables in README's Configuration table", () => {
    expect(variables).toEqual(expect.arrayContaining(["PORT", "DATABASE_URL", "JWT_PRIVATE_KEY_FILE", "LOG_LEVEL"]));
  });

  test.each([
    ["API", api],
    ["workers", worker],
  ])("gives the %s every variable README's Configuration table lists", (_, spec) => {
    const given = provided(defaults, container(spec as WorkloadSpec));
    expect(variables.filter((name) => !given.has(name))).toEqual([]);
  });

  test("takes the secret variables from the Secret, never from the ConfigMap", () => {
    const secrets = variables.filter((name) => SECRET.test(name));
    expect(secrets).toEqual(expect.arrayContaining(["DATABASE_URL", "REDIS_URL", "DATA_ENCRYPTION_KEY", "DATA_ENCRYPTION_PREVIOUS_KEYS", "SMS_WEBHOOK_TOKEN"]));
    for (const manifests of [defaults, switched]) {
      const from = provided(manifests, container(workload(manifests, "Deployment", NAME)));
      const secretName = manifests === switched ? "user-service-secrets" : NAME;
      expect(Object.fromEntries(secrets.map((name) => [name, from.get(name)]))).toEqual(Object.fromEntries(secrets.map((name) => [name, `Secret ${secretName}`])));
    }
    expect(decoded(get(given, "Secret", NAME))).toEqual(expect.objectContaining(GIVEN.secrets.env));
    expect(find(switched, "Secret", NAME)).toBeUndefined();
  });

  test("mounts every file a *_FILE variable names, at that path", () => {
    const spec = workload(switched, "Deployment", NAME);
    const c = container(spec);
    const files = variables.filter((name) => /_FILES?$/.test(name));
    expect(files).toEqual(expect.arrayContaining(["JWT_PRIVATE_KEY_FILE", "GEOIP_DB_FILE", "SANCTIONS_LIST_FILE", "TLS_CERT_FILE"]));
    const unmounted = files.flatMap((name) => {
      const paths = (valueOf(switched, c, name) ?? "").split(",").filter(Boolean);
      if (paths.length === 0) return [`${name}: not set`];
      return paths.flatMap((file) => {
        const found = mountOf(spec.template, c, file);
        if (!found?.volume || found.volume.emptyDir || !found.mount.readOnly) return [`${name}: ${file} is not on a read-only volume`];
        const items = found.volume.secret?.items;
        if (items && !items.some((item) => `${found.mount.mountPath}/${item.path}` === file)) return [`${name}: ${file} is not among the Secret's items`];
        return [];
      });
    });
    expect(unmounted).toEqual([]);
  });

  test("is a configuration the service accepts, its empty values taking the defaults", () => {
    for (const manifests of [defaults, switched]) {
      const env = { ...get(manifests, "ConfigMap", NAME).data, ...GIVEN.secrets.env };
      const set = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ""));
      expect(loadConfig(env)).toEqual(loadConfig(set));
    }
    expect(loadConfig({ ...configMap.data, ...GIVEN.secrets.env }).admin).toEqual({ host: "0.0.0.0", port: 9090 });
    const set = loadConfig({ ...get(switched, "ConfigMap", NAME).data, ...GIVEN.secrets.env });
    expect([set.jobs.concurrency, set.connections.maxConnections, set.activity.recording, set.logLevel]).toEqual([16, 1_000_000, false, "debug"]);
  });

  test("rolls the pods when the ConfigMap or the Secret changes", async () => {
    const [changedConfig, changedSecret] = await Promise.all([render({ ...GIVEN, config: { LOG_LEVEL: "warn" } }), render({ secrets: { ...GIVEN.secrets, env: { ...GIVEN.secrets.env, REDIS_URL: "redis://:other@redis:6379" } } })]);
    const annotations = (manifests: Manifest[], name: string) => workload(manifests, "Deployment", name).template.metadata.annotations ?? {};
    for (const name of [NAME, `${NAME}-worker`]) {
      expect(annotations(changedConfig, name)["checksum/config"]).not.toBe(annotations(given, name)["checksum/config"]);
      expect(annotations(changedConfig, name)["checksum/secret"]).toBe(annotations(given, name)["checksum/secret"]);
      expect(annotations(changedSecret, name)["checksum/secret"]).not.toBe(annotations(given, name)["checksum/secret"]);
    }
  });
});

describe("the pods' security", () => {
  const pods = (manifests: Manifest[]) => manifests.filter((m) => m.kind === "Deployment" || m.kind === "Job").map((m) => [`${m.kind} ${m.metadata.name}`, (m.spec as WorkloadSpec).template] as const);

  test("run as a non-root user with no privileges, on a read-only root filesystem", () => {
    expect(pods(defaults)).toHaveLength(3);
    for (const [, pod] of [...pods(defaults), ...pods(switched)]) {
      expect(pod.spec.automountServiceAccountToken).toBe(false);
      const context = pod.spec.securityContext!;
      expect(context).toEqual(expect.objectContaining({ runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } }));
      for (const id of [context.runAsUser, context.runAsGroup, context.fsGroup]) expect(id).toBeGreaterThan(0);
      for (const c of pod.spec.containers) {
        expect(c.securityContext).toEqual(expect.objectContaining({ runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, seccompProfile: { type: "RuntimeDefault" } }));
        expect(c.securityContext?.capabilities?.drop).toContain("ALL");
      }
    }
  });

  test("write only to emptyDirs: /tmp and DATA_DIR", () => {
    for (const [name, pod] of pods(defaults)) {
      const c = pod.spec.containers[0]!;
      for (const dir of ["/tmp", valueOf(defaults, c, "DATA_DIR") ?? "DATA_DIR unset"]) {
        const mount = c.volumeMounts?.find((m) => m.mountPath === dir);
        expect([name, dir, mount && !mount.readOnly && pod.spec.volumes?.find((v) => v.name === mount.name)?.emptyDir !== undefined]).toEqual([name, dir, true]);
      }
    }
  });

  test("use a ServiceAccount without a token", () => {
    const account = get(defaults, "ServiceAccount", NAME);
    expect(account.automountServiceAccountToken).toBe(false);
    expect(api.template.spec.serviceAccountName).toBe(NAME);
    expect(worker.template.spec.serviceAccountName).toBe(NAME);
  });
});

describe("scaling, disruptions and the network", () => {
  test("autoscales the API Deployment (autoscaling/v2) from 3 replicas", () => {
    const hpa = get(defaults, "HorizontalPodAutoscaler", NAME);
    const spec = hpa.spec as { scaleTargetRef: { kind: string; name: string }; minReplicas: number; maxReplicas: number };
    expect(hpa.apiVersion).toBe("autoscaling/v2");
    expect(spec.scaleTargetRef).toEqual(expect.objectContaining({ kind: "Deployment", name: NAME }));
    expect(spec.maxReplicas).toBeGreaterThan(spec.minReplicas);
  });

  test("lets disruptions take one API replica at a time", () => {
    const spec = get(defaults, "PodDisruptionBudget", NAME).spec as { maxUnavailable: number; selector: { matchLabels: Record<string, string> } };
    expect(spec.maxUnavailable).toBe(1);
    expect(selects(spec.selector.matchLabels, api.template.metadata.labels)).toBe(true);
  });

  test("lets calls reach the API port and scrapes the admin port; lets the pods reach DNS, Postgres and Redis", () => {
    type Port = { port: number | string; protocol?: string };
    type Policy = { podSelector: { matchLabels: Record<string, string> }; policyTypes: string[]; ingress: Array<{ ports: Port[]; from?: unknown[] }>; egress: Array<{ ports: Port[]; to?: unknown[] }> };
    const policy = get(defaults, "NetworkPolicy", NAME).spec as Policy;
    expect(selects(policy.podSelector.matchLabels, api.template.metadata.labels)).toBe(true);
    expect(policy.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(policy.ingress).toEqual(expect.arrayContaining([{ ports: [{ port: "grpc", protocol: "TCP" }] }, expect.objectContaining({ ports: [{ port: "admin", protocol: "TCP" }], from: expect.any(Array) })]));
    const egressPorts = policy.egress.flatMap((rule) => rule.ports.map((p) => `${p.port}/${p.protocol}`));
    expect(egressPorts).toEqual(expect.arrayContaining(["53/UDP", "53/TCP", "5432/TCP", "6379/TCP"]));
    const configured = (get(switched, "NetworkPolicy", NAME).spec as Policy).egress.find((rule) => rule.ports.some((p) => p.port === 5432));
    expect(configured?.to).toEqual([{ ipBlock: { cidr: "10.20.0.0/16" } }]);
  });
});

describe("monitoring", () => {
  test("scrapes /metrics on the admin port through the metrics Service", () => {
    const monitor = get(defaults, "ServiceMonitor", NAME);
    const spec = monitor.spec as { selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> };
    expect(monitor.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(spec.endpoints).toEqual([expect.objectContaining({ port: "admin", path: "/metrics" })]);
    const scraped = defaults.filter((m) => m.kind === "Service" && selects(spec.selector.matchLabels, m.metadata.labels)).map((m) => m.metadata.name);
    expect(scraped).toEqual([`${NAME}-metrics`]);
  });

  test("carries monitoring/prometheus-rule.yaml's rule groups unchanged", async () => {
    const canonical = YAML.parse(await repoFile("monitoring/prometheus-rule.yaml")) as { kind: string; spec: { groups: unknown[] } };
    const rule = get(defaults, "PrometheusRule", NAME);
    expect(rule.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(canonical.spec.groups.length).toBeGreaterThan(0);
    expect(rule.spec).toEqual(canonical.spec);
  });
});
