import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import YAML from "yaml";

// The shapes of the rendered objects the chart tests read: only the fields they look at.

/** Labels is a label or annotation map. */
export type Labels = Record<string, string>;

/** EnvVar is a container's environment entry. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean }; configMapKeyRef?: { name: string; key: string } };
}

/** Probe is a container probe: the kubelet's gRPC check or an HTTP GET. */
export interface Probe {
  grpc?: { port: number; service?: string };
  httpGet?: { path: string; port: number | string };
  periodSeconds?: number;
  failureThreshold?: number;
}

/** Container is a pod's container. */
export interface Container {
  name: string;
  image: string;
  args?: string[];
  ports?: Array<{ name: string; containerPort: number }>;
  env?: EnvVar[];
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string } }>;
  resources?: { requests?: Labels; limits?: Labels };
  startupProbe?: Probe;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
  securityContext?: {
    runAsNonRoot?: boolean;
    readOnlyRootFilesystem?: boolean;
    allowPrivilegeEscalation?: boolean;
    capabilities?: { drop?: string[] };
    seccompProfile?: { type: string };
  };
  volumeMounts?: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}

/** Volume is a pod's volume, by the sources the chart uses. */
export interface Volume {
  name: string;
  emptyDir?: { sizeLimit?: string };
  secret?: { secretName: string; items?: Array<{ key: string; path: string }> };
  configMap?: { name: string };
  persistentVolumeClaim?: { claimName: string };
}

/** PodTemplate is a workload's pod template. */
export interface PodTemplate {
  metadata: { labels: Labels; annotations?: Labels };
  spec: {
    serviceAccountName?: string;
    automountServiceAccountToken?: boolean;
    securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number; fsGroup?: number; seccompProfile?: { type: string } };
    containers: Container[];
    volumes?: Volume[];
  };
}

/** Manifest is one rendered object; spec is read through the typed views below. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Labels; annotations?: Labels };
  spec?: unknown;
  data?: Labels | null;
  automountServiceAccountToken?: boolean;
}

/** WorkloadSpec is the spec of a Deployment or Job. */
export interface WorkloadSpec {
  replicas?: number;
  strategy?: { type: string; rollingUpdate?: { maxSurge: number | string; maxUnavailable: number | string } };
  selector?: { matchLabels: Labels };
  backoffLimit?: number;
  template: PodTemplate;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const run = promisify(execFile);

/** CHART is the chart's directory. */
export const CHART = path.join(ROOT, "helm", "user-service");

/** repoFile reads a file of the repository. */
export function repoFile(file: string): Promise<string> {
  return fs.readFile(path.join(ROOT, file), "utf8");
}

/** helm runs `npm run helm`'s script with the arguments; it rejects when helm exits non-zero. */
export async function helm(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, "scripts", "helm.js"), ...args], { cwd: ROOT, maxBuffer: 32 * 1024 * 1024 });
}

/** render is `helm template` of the chart with the given values over the defaults, as objects. */
export async function render(values: Record<string, unknown> = {}): Promise<Manifest[]> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "user-service-chart-"));
  try {
    const file = path.join(dir, "values.yaml");
    await fs.writeFile(file, YAML.stringify(values));
    const { stdout } = await helm("template", "rel", CHART, "--namespace", "trading", "--values", file);
    return YAML.parseAllDocuments(stdout)
      .map((document) => document.toJS() as Manifest | null)
      .filter((manifest): manifest is Manifest => manifest !== null);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

/** find returns the rendered object of that kind and name, or undefined. */
export function find(manifests: Manifest[], kind: string, name: string): Manifest | undefined {
  return manifests.find((manifest) => manifest.kind === kind && manifest.metadata.name === name);
}

/** get returns the rendered object of that kind and name, failing the test when there is none. */
export function get(manifests: Manifest[], kind: string, name: string): Manifest {
  const found = find(manifests, kind, name);
  if (!found) throw new Error(`no ${kind} ${name} among ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(", ")}`);
  return found;
}

/** workload is the spec of a rendered Deployment or Job. */
export function workload(manifests: Manifest[], kind: "Deployment" | "Job", name: string): WorkloadSpec {
  return get(manifests, kind, name).spec as WorkloadSpec;
}

/** container is the only container of a Deployment or Job. */
export function container(spec: WorkloadSpec): Container {
  const [only, ...others] = spec.template.spec.containers;
  if (!only || others.length > 0) throw new Error("expected exactly one container");
  return only;
}

/** selects says whether a label selector picks an object with these labels. */
export function selects(selector: Labels, labels: Labels | undefined): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/** readmeVariables are the variables README's "## Configuration" table lists, from each row's first cell. */
export async function readmeVariables(): Promise<string[]> {
  const readme = await repoFile("README.md");
  const start = readme.indexOf("## Configuration");
  const table = readme.slice(start, readme.indexOf("\n## ", start + 1));
  const rows = table.split("\n").filter((line) => line.startsWith("| `"));
  return [...new Set(rows.flatMap((row) => [...(row.split("|")[1] ?? "").matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((m) => m[1]!)))];
}

/** hookWeight is a hook object's helm.sh/hook-weight (0 when unset), or undefined for an ordinary object. */
export function hookWeight(manifest: Manifest): number | undefined {
  const annotations = manifest.metadata.annotations ?? {};
  if (!annotations["helm.sh/hook"]) return undefined;
  return Number(annotations["helm.sh/hook-weight"] ?? 0);
}

/** hookList is a comma-separated hook annotation as a list. */
export function hookList(manifest: Manifest, annotation: "helm.sh/hook" | "helm.sh/hook-delete-policy"): string[] {
  return (manifest.metadata.annotations?.[annotation] ?? "").split(",").map((entry) => entry.trim()).filter(Boolean);
}
