// docker-compose.yml as users run it: every service present, health checks of the right kind, start-up
// order through depends_on conditions, data on named volumes, replay data read-only, and no secret in the file.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const text = fs.readFileSync(path.join(root, 'docker-compose.yml'), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  working_dir?: string;
  environment?: Record<string, string | number | boolean | null>;
  healthcheck?: { test?: string | string[] };
  depends_on?: Record<string, { condition?: string }> | string[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  ports?: (string | number | { target?: number })[];
  profiles?: string[];
  secrets?: (string | { source: string; target?: string })[];
}
// `merge: true` resolves the `<<: *app` keys the way Compose does.
const compose = parse(text, { merge: true }) as { services: Record<string, Service>; volumes?: Record<string, unknown>; secrets?: Record<string, { environment?: string; file?: string }> };
const services = compose.services;
const APP_SERVICES = ['migrate', 'console', 'workers'];

function service(name: string): Service {
  const s = services[name];
  if (!s) throw new Error(`docker-compose.yml has no service "${name}"`);
  return s;
}

function healthcheck(name: string): string {
  const test = service(name).healthcheck?.test;
  return Array.isArray(test) ? test.join(' ') : (test ?? '');
}

function dependsOn(name: string): Record<string, string | undefined> {
  const deps = service(name).depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, undefined]));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v?.condition]));
}

/** `source:target[:ro]` strings and long-form entries as one shape. */
function mounts(name: string) {
  return (service(name).volumes ?? []).map((v) => {
    if (typeof v !== 'string') return { source: v.source, target: v.target, readOnly: v.read_only === true };
    const [source, target, mode] = v.split(':');
    return { source, target, readOnly: mode === 'ro' };
  });
}

describe('docker-compose.yml', () => {
  it('has postgres, redis, the one-shot migrate, the console and the workers; prometheus and grafana only with the monitoring profile', () => {
    const byDefault = Object.entries(services).filter(([, s]) => !s.profiles?.length).map(([n]) => n);
    expect(byDefault.sort()).toEqual(['console', 'migrate', 'postgres', 'redis', 'workers']);
    const monitoring = Object.entries(services).filter(([, s]) => s.profiles?.includes('monitoring')).map(([n]) => n);
    expect(monitoring.sort()).toEqual(['grafana', 'prometheus']);
    expect(service('postgres').image).toBe('postgres:15');
    expect(service('redis').image).toBe('redis:7');
  });

  it('gives each long-running service a health check of the right kind', () => {
    expect(healthcheck('postgres')).toMatch(/pg_isready/);
    expect(healthcheck('redis')).toMatch(/redis-cli\s+ping/);
    expect(healthcheck('console')).toMatch(/http:\/\/127\.0\.0\.1:3000\/api\/health/);
  });

  it('builds the app services from the Dockerfile at the root, all as the same image', () => {
    expect(fs.existsSync(path.join(root, 'Dockerfile'))).toBe(true);
    for (const name of APP_SERVICES) {
      const build = service(name).build;
      const context = typeof build === 'string' ? build : build?.context;
      expect(context, name).toBe('.');
      expect(service(name).image, name).toBe(service('console').image);
    }
    expect(service('console').ports?.map(String).some((p) => p.endsWith(':3000') || p === '3000')).toBe(true);
  });

  it('runs the console with its own server (Next plus the fast path) and the workers through their launcher, as npm start does', () => {
    const command = [service('console').command].flat().join(' ');
    expect(command).toMatch(/^node server\.mjs --port 3000$/);
    const workdir = /^WORKDIR (\S+)$/gm;
    const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8');
    const dirs = [...dockerfile.matchAll(workdir)].map((m) => m[1]);
    expect(dirs.at(-1)).toBe('/app/apps/console');
    expect(fs.existsSync(path.join(root, 'apps/console/server.mjs'))).toBe(true);
    expect(dockerfile).toMatch(/^CMD \["node", "server\.mjs", "--port", "3000"\]$/m);
    expect(dockerfile).toMatch(/node scripts\/build-bundles\.mjs/);
    // The workers through their launcher (their bundle while fresh), like npm start and the CLI's trade.
    expect([service('workers').command].flat().join(' ')).toBe('node bin/workers.mjs');
    expect(service('workers').working_dir).toBe('/app/workers');
  });

  it('starts migrate on a healthy Postgres, and the console and workers after it succeeded', () => {
    expect(dependsOn('migrate')).toMatchObject({ postgres: 'service_healthy' });
    for (const name of ['console', 'workers']) {
      expect(dependsOn(name), name).toEqual({
        postgres: 'service_healthy',
        redis: 'service_healthy',
        migrate: 'service_completed_successfully',
      });
    }
    const migrate = [service('migrate').command].flat().join(' ');
    expect(migrate).toMatch(/migrate\/cli\.ts deploy/);
    expect(migrate).toMatch(/prisma\/seed\.ts/);
  });

  it('keeps Postgres and Redis data on named volumes', () => {
    const declared = Object.keys(compose.volumes ?? {});
    const pg = mounts('postgres').find((m) => m.target === '/var/lib/postgresql/data');
    const redis = mounts('redis').find((m) => m.target === '/data');
    expect(declared).toContain(pg?.source ?? 'no volume at /var/lib/postgresql/data');
    expect(declared).toContain(redis?.source ?? 'no volume at /data');
  });

  it('runs the sim broker on the replay feed, with ../shared/data mounted read-only where REPLAY_DATA_DIR points', () => {
    for (const name of ['console', 'workers']) {
      const env = service(name).environment ?? {};
      expect(env, name).toMatchObject({ BROKER: 'sim', FEED: 'replay' });
      expect(env.DATABASE_URL, name).toMatch(/@postgres:5432\//);
      expect(env.REDIS_URL, name).toBe('redis://redis:6379');
      const data = mounts(name).find((m) => m.target === env.REPLAY_DATA_DIR);
      expect(data, name).toMatchObject({ source: '../shared/data', readOnly: true });
    }
  });

  it('hard-codes no secret: each comes from the environment and is required there', () => {
    const secretKey = /SECRET|PASSWORD|TOKEN|API_KEY|KEY_ID/;
    const required = /^\$\{[A-Z_]+:\?[^}]+\}$/;
    for (const [name, s] of Object.entries(services)) {
      for (const [key, value] of Object.entries(s.environment ?? {})) {
        // Grafana's <VAR>__FILE names the file a secret is read from: a path to a Compose secret, not the secret.
        if (key.endsWith('__FILE')) expect(String(value), `${name}.${key}`).toMatch(/^\/run\/secrets\/[a-z_]+$/);
        else if (secretKey.test(key)) expect(String(value), `${name}.${key}`).toMatch(required);
        // A password inside a URL must be a reference as well.
        const password = /^[a-z]+:\/\/[^:/@]*:([^@]*)@/.exec(String(value))?.[1];
        if (password !== undefined) expect(password, `${name}.${key}`).toMatch(required);
      }
    }
    for (const name of APP_SERVICES) expect(service(name).environment?.SESSION_SECRET, name).toMatch(/^\$\{SESSION_SECRET:\?/);
    for (const name of APP_SERVICES) expect(service(name).environment?.KEYS_ENCRYPTION_KEYS, name).toBe('${KEYS_ENCRYPTION_KEYS:-}');
    // The monitoring profile's secrets come from the environment too.
    for (const [name, sec] of Object.entries(compose.secrets ?? {})) expect(sec, name).toEqual({ environment: expect.stringMatching(/^[A-Z_]+$/) });
  });

  it('monitoring: Prometheus reads ops/prometheus.yml and ops/alerts.yml with the token where credentials_file points, and scrapes the services', () => {
    const prom = mounts('prometheus');
    expect(prom).toContainEqual({ source: './ops/prometheus.yml', target: '/etc/prometheus/prometheus.yml', readOnly: true });
    expect(prom).toContainEqual({ source: './ops/alerts.yml', target: '/etc/prometheus/alerts.yml', readOnly: true });
    expect(Object.keys(compose.volumes ?? {})).toContain(prom.find((m) => m.target === '/prometheus')?.source ?? 'no volume at /prometheus');
    const cfg = parse(fs.readFileSync(path.join(root, 'ops/prometheus.yml'), 'utf8')) as {
      rule_files: string[]; scrape_configs: { job_name: string; authorization?: { credentials_file?: string }; static_configs: { targets: string[] }[] }[];
    };
    expect(cfg.rule_files).toEqual(['alerts.yml']);
    const secret = service('prometheus').secrets?.find((x) => typeof x !== 'string' && x.source === 'metrics_token');
    expect(compose.secrets?.metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    for (const job of ['console', 'workers']) {
      const sc = cfg.scrape_configs.find((x) => x.job_name === job)!;
      // credentials_file is relative to the config file's directory.
      expect(typeof secret === 'object' && secret.target, job).toBe(`/etc/prometheus/${sc.authorization?.credentials_file}`);
    }
    const target = (job: string) => cfg.scrape_configs.find((x) => x.job_name === job)!.static_configs[0]!.targets[0]!;
    expect(target('console')).toBe('console:3000');
    expect(target('workers')).toBe(`workers:${service('workers').environment?.WORKERS_METRICS_PORT}`);
    for (const name of ['console', 'workers']) expect(service(name).environment?.METRICS_TOKEN, name).toMatch(/^\$\{METRICS_TOKEN:\?/);
  });

  it('monitoring: Grafana is provisioned from ops/grafana with the Prometheus datasource and the dashboards folder', () => {
    const g = mounts('grafana');
    expect(g).toContainEqual({ source: './ops/grafana/provisioning', target: '/etc/grafana/provisioning', readOnly: true });
    const dashboards = g.find((m) => m.source === './ops/grafana/dashboards');
    const provider = parse(fs.readFileSync(path.join(root, 'ops/grafana/provisioning/dashboards/ai-trader.yml'), 'utf8')) as { providers: { options: { path: string } }[] };
    expect(dashboards?.target).toBe(provider.providers[0]!.options.path);
    const ds = parse(fs.readFileSync(path.join(root, 'ops/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as { datasources: { type: string; url: string; uid: string }[] };
    expect(ds.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090', uid: 'prometheus' });
    expect(dependsOn('grafana')).toEqual({ prometheus: 'service_healthy' });
    const dash = JSON.parse(fs.readFileSync(path.join(root, 'ops/grafana/dashboards/ai-trader.json'), 'utf8')) as { uid: string; panels: { datasource?: { uid: string }; targets?: unknown[] }[] };
    expect(dash.uid).toBe('ai-trader');
    for (const p of dash.panels.filter((x) => x.targets)) expect(p.datasource?.uid).toBe('prometheus');
  });
});
