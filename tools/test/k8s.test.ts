import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { SERVICE_NAMES } from '@meridian/config';
import { DEFAULT_PORTS, loadConfig } from '@meridian/config';
import { bullPrefix } from '@meridian/queue';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { kubectl } from '../stack/kubectl.js';

// No cluster runs here: the manifests are rendered with kubectl's kustomize and each object is
// checked against the Kubernetes API schemas (kubernetes-models' validators, KEDA's for the
// ScaledObjects), then against what Meridian needs of them.
const k8s = resolve(import.meta.dirname, '../../infra/k8s');
const KUSTOMIZATIONS = ['base', 'overlays/dev', 'overlays/prod', 'autoscaling/external-metric'] as const;

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  // The objects' own shapes are checked by the schema validators; the tests read fields by path.
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function render(dir: string): Manifest[] {
  const text = execFileSync(kubectl(), ['kustomize', dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return parseAllDocuments(text).map((document) => document.toJS() as Manifest);
}

/** The schema validator for an object's apiVersion and kind, from the model packages. */
async function validatorFor(manifest: Manifest): Promise<(data: Manifest) => void> {
  const [group, version] = manifest.apiVersion.includes('/') ? manifest.apiVersion.split('/') : ['', manifest.apiVersion];
  const module = (
    group === 'keda.sh'
      ? await import(`@kubernetes-models/keda/keda.sh/${version}/${manifest.kind}`)
      : await import(`kubernetes-models/${group ? `${group}/` : ''}${version}/${manifest.kind}`)
  ) as Record<string, new (data: Manifest) => { validate(): void }>;
  const Model = module[manifest.kind];
  if (!Model) throw new Error(`no schema for ${manifest.apiVersion} ${manifest.kind}`);
  return (data) => new Model(data).validate();
}

async function schemaErrors(manifests: Manifest[]): Promise<string[]> {
  const errors: string[] = [];
  for (const manifest of manifests) {
    try {
      (await validatorFor(manifest))(manifest);
    } catch (error) {
      errors.push(`${manifest.kind}/${manifest.metadata.name}: ${(error as Error).message}`);
    }
  }
  return errors;
}

const at = (value: unknown, path: string): unknown => path.split('.').reduce<unknown>((inner, key) => (inner as Record<string, unknown> | undefined)?.[key], value);

interface Container {
  name: string;
  image: string;
  command?: string[];
  ports?: { name: string; containerPort: number }[];
  readinessProbe?: { httpGet: { path: string; port: string } };
  livenessProbe?: { httpGet: { path: string; port: string } };
  lifecycle?: { preStop?: { exec: { command: string[] } } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  envFrom?: ({ configMapRef?: { name: string } } | { secretRef?: { name: string } })[];
}

const rendered = Object.fromEntries(KUSTOMIZATIONS.map((dir) => [dir, render(join(k8s, dir))])) as Record<(typeof KUSTOMIZATIONS)[number], Manifest[]>;

describe('the Kubernetes manifests', () => {
  it.each(KUSTOMIZATIONS)('%s renders, and every object it renders validates against the Kubernetes schemas', async (dir) => {
    expect(rendered[dir].length).toBeGreaterThan(0);
    expect(await schemaErrors(rendered[dir])).toEqual([]);
  });

  it('would be caught with a broken manifest', async () => {
    const copy = mkdtempSync(join(tmpdir(), 'meridian-k8s-'));
    try {
      cpSync(k8s, copy, { recursive: true });
      const file = join(copy, 'base/gateway.yaml');
      writeFileSync(file, readFileSync(file, 'utf8').replace('  replicas: 2', '  replicas: two').replace('maxUnavailable: 1', 'maxUnavailable: [1]'));
      expect(await schemaErrors(render(join(copy, 'base')))).toEqual([
        expect.stringMatching(/^Deployment\/gateway: .*replicas must be integer/),
        expect.stringMatching(/^PodDisruptionBudget\/gateway: .*maxUnavailable/),
      ]);
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  const base = rendered.base;
  const deployments = base.filter((m) => m.kind === 'Deployment');
  const containerOf = (m: Manifest) => (at(m, 'spec.template.spec.containers') as Container[])[0] as Container;
  const config = base.find((m) => m.kind === 'ConfigMap')?.data ?? {};

  it('run each service and both workers, with probes on the health routes of the port they listen on', () => {
    expect(deployments.map((m) => m.metadata.name).sort()).toEqual(['backtest', 'backtest-worker', 'gateway', 'monitor', 'signals', 'signals-worker']);
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const container = containerOf(deployment);
      const app = name.replace(/-worker$/, '') as (typeof SERVICE_NAMES)[number];
      expect(container.image, name).toBe(`meridian-${app}`);
      const settings = loadConfig(app, { ...config, INTERNAL_AUTH_SECRET: 'e'.repeat(64), METRICS_TOKEN: 'f'.repeat(64) });
      const port = name.endsWith('-worker') ? settings.queue.workerMetricsPort : settings.port;
      expect(port, name).toBe(name.endsWith('-worker') ? DEFAULT_PORTS[app] + 100 : DEFAULT_PORTS[app]);
      expect(container.ports, name).toEqual([{ name: 'http', containerPort: port }]);
      expect(container.readinessProbe?.httpGet, name).toEqual({ path: '/health/ready', port: 'http' });
      expect(container.livenessProbe?.httpGet, name).toEqual({ path: '/health/live', port: 'http' });
      expect(container.command?.at(-1) ?? 'main.js (the image command)', name).toBe(name.endsWith('-worker') ? 'worker.js' : 'main.js (the image command)');
      expect(container.resources?.requests?.cpu, name).toBeDefined();
      expect(container.resources?.requests?.memory, name).toBeDefined();
      expect(container.resources?.limits?.memory, name).toBeDefined();
      expect(container.envFrom, name).toEqual([{ configMapRef: { name: expect.stringMatching(/^meridian-config-/) } }, { secretRef: { name: 'meridian-secrets' } }]);
      // Held back until the migration job has brought the schema up to this version.
      expect(at(deployment, 'spec.template.spec.initContainers.0.command'), name).toEqual(['node', 'migrate.js', '--wait']);
      // The selector picks the pods the template makes.
      expect(at(deployment, 'spec.template.metadata.labels'), name).toMatchObject(at(deployment, 'spec.selector.matchLabels') as object);
    }
  });

  it('give a pod time to drain: endpoints drop it before SIGTERM, and SIGKILL waits past the shutdown timeout', () => {
    const shutdownS = Number(config.SHUTDOWN_TIMEOUT_MS) / 1000;
    for (const deployment of deployments) {
      const container = containerOf(deployment);
      const preStopS = Number(container.lifecycle?.preStop?.exec.command[1] ?? 0);
      if (!deployment.metadata.name.endsWith('-worker')) expect(container.lifecycle?.preStop?.exec.command, deployment.metadata.name).toEqual(['sleep', '5']);
      expect(at(deployment, 'spec.template.spec.terminationGracePeriodSeconds') as number, deployment.metadata.name).toBeGreaterThan(preStopS + shutdownS);
    }
  });

  it('point a Service, a disruption budget and, for the APIs, a CPU autoscaler at each deployment', () => {
    const named = (kind: string) => new Map(base.filter((m) => m.kind === kind).map((m) => [m.metadata.name, m]));
    const services = named('Service');
    const budgets = named('PodDisruptionBudget');
    const autoscalers = named('HorizontalPodAutoscaler');
    for (const deployment of deployments) {
      const name = deployment.metadata.name;
      const labels = at(deployment, 'spec.template.metadata.labels') as Record<string, string>;
      expect(labels, name).toMatchObject(at(services.get(name), 'spec.selector') as object);
      expect(at(services.get(name), 'spec.ports.0.targetPort'), name).toBe('http');
      expect(labels, name).toMatchObject(at(budgets.get(name), 'spec.selector.matchLabels') as object);
      expect(at(budgets.get(name), 'spec.maxUnavailable'), name).toBe(1);
    }
    expect([...autoscalers.keys()].sort()).toEqual(['backtest', 'gateway', 'signals']);
    for (const [name, hpa] of autoscalers) {
      expect(at(hpa, 'spec.scaleTargetRef'), name).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name });
      expect(at(hpa, 'spec.metrics.0.resource.name'), name).toBe('cpu');
    }
    // The monitor holds its state in memory: one replica, never scaled out.
    expect(at(deployments.find((m) => m.metadata.name === 'monitor'), 'spec.replicas')).toBe(1);
  });

  it('scale the workers on their queues: KEDA on the BullMQ wait lists in prod, or an HPA on the waiting-jobs metric', () => {
    const scaled = rendered['overlays/prod'].filter((m) => m.kind === 'ScaledObject');
    const prefix = loadConfig('signals', { ...config, INTERNAL_AUTH_SECRET: 'e'.repeat(64), METRICS_TOKEN: 'f'.repeat(64) }).redisPrefix;
    expect(scaled.map((m) => at(m, 'spec.scaleTargetRef.name')).sort()).toEqual(['backtest-worker', 'signals-worker']);
    for (const object of scaled) {
      for (const trigger of at(object, 'spec.triggers') as { type: string; metadata: { listName: string } }[]) {
        expect(trigger.type).toBe('redis');
        // BullMQ's wait list under the hash-tagged prefix the queue library gives it.
        expect(trigger.metadata.listName.startsWith(`${bullPrefix({ redisPrefix: prefix })}:`), trigger.metadata.listName).toBe(true);
        expect(trigger.metadata.listName).toMatch(/:[a-z.-]+:wait$/);
      }
    }
    const external = rendered['autoscaling/external-metric'];
    expect(external.map((m) => at(m, 'spec.scaleTargetRef.name')).sort()).toEqual(['backtest-worker', 'signals-worker']);
    for (const hpa of external) expect(at(hpa, 'spec.metrics.0.external.metric.name')).toBe('queue_jobs');
  });

  it('run the migration as a Job from an app image, in every overlay', () => {
    for (const dir of KUSTOMIZATIONS.slice(0, 3)) {
      const job = rendered[dir].find((m) => m.kind === 'Job');
      expect(at(job, 'spec.template.spec.containers.0.command'), dir).toEqual(['node', 'migrate.js']);
      expect(at(job, 'spec.template.spec.restartPolicy'), dir).toBe('Never');
    }
  });

  it('put dev and prod in their own namespaces, prod on released images without secrets in git', () => {
    for (const [dir, namespace] of [['overlays/dev', 'meridian-dev'], ['overlays/prod', 'meridian']] as const) {
      for (const m of rendered[dir]) expect(m.metadata.namespace, `${dir} ${m.kind}/${m.metadata.name}`).toBe(namespace);
    }
    const prod = rendered['overlays/prod'];
    expect(prod.some((m) => m.kind === 'Secret')).toBe(false);
    const images = prod.filter((m) => m.kind === 'Deployment').map((m) => containerOf(m).image);
    for (const image of images) expect(image).toMatch(/^registry\.example\.com\/meridian\/[a-z]+:\d+\.\d+\.\d+$/);
    // Dev makes its secrets, referenced under their generated name.
    const dev = rendered['overlays/dev'];
    const secret = dev.find((m) => m.kind === 'Secret');
    expect(secret?.metadata.name).toMatch(/^meridian-secrets-/);
    for (const m of dev.filter((d) => d.kind === 'Deployment' && containerOf(d).image.startsWith('meridian-'))) {
      expect(containerOf(m).envFrom?.[1]).toEqual({ secretRef: { name: secret?.metadata.name } });
    }
  });
});
