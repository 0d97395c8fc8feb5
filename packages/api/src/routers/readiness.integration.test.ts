// The readiness procedures over the real runtime: the report for viewers, Run now and the live switch for admins with
// the password again; the switch refused while a check is not pass, and under the two-person policy only asked for,
// then run by a second admin's approval (readiness checked again then).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestRuntime, type TestRuntime } from '@ai-trader/adapters/testing';
import { READINESS_CHECK_IDS, type TActor } from '@ai-trader/contracts';
import { brokerAccountMode } from '@ai-trader/core';
import { hashPassword } from 'better-auth/crypto';
import { LiveHub } from '../live-hub.ts';
import { appRouter } from '../root.ts';

const PASSWORD = 'admin-password-for-readiness';

describe('readiness procedures', () => {
  let rt: TestRuntime;
  let live: LiveHub;
  const admin: TActor = { id: 'r-admin', email: 'readiness-admin@example.com', role: 'admin' };
  const second: TActor = { id: 'r-admin2', email: 'second-admin@example.com', role: 'admin' };
  const viewer: TActor = { id: 'r-viewer', email: 'viewer@example.com', role: 'viewer' };
  const caller = (actor: TActor | null) => appRouter.createCaller({ deps: rt.deps, live, actor });
  async function allPass() {
    await rt.deps.prisma.readinessResult.deleteMany();
    const at = new Date();
    for (const id of READINESS_CHECK_IDS)
      await rt.deps.prisma.readinessResult.create({ data: { check: id, status: 'pass', summary: 'ok', evidence: {}, ranBy: 'test', trigger: 'manual', startedAt: at, finishedAt: at, durationMs: 1 } });
  }

  beforeAll(async () => {
    rt = await createTestRuntime('readinessrpc');
    live = new LiveHub(rt.config.REDIS_URL, rt.config.REDIS_PREFIX);
    for (const [i, u] of [admin, second].entries()) {
      await rt.deps.prisma.user.create({ data: { id: u.id, email: u.email, name: 'Admin', role: 'admin', emailVerified: true } });
      await rt.deps.prisma.account.create({ data: { id: `acc-r${i}`, userId: u.id, accountId: u.id, providerId: 'credential', password: await hashPassword(PASSWORD) } });
    }
  });
  afterAll(async () => {
    await live?.close();
    await rt?.cleanup();
  });

  it('viewers read the report; only admins run checks or switch', async () => {
    const r = await caller(viewer).readiness.report();
    expect(r).toMatchObject({ ready: false, account: 'paper', counts: { 'not-run': READINESS_CHECK_IDS.length } });
    await expect(caller(null).readiness.report()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(viewer).readiness.run({})).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(viewer).readiness.goLive({ reason: 'why not', password: PASSWORD })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(caller(admin).readiness.run({ checks: ['nope' as never] })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('Run now runs the cheap checks as this admin and queues the scheduled ones', async () => {
    const r = await caller(admin).readiness.run({ checks: ['risk.stop-losses', 'db.backup-restore'] });
    expect(r.results).toEqual([expect.objectContaining({ id: 'risk.stop-losses', status: 'pass' })]);
    expect(r.queued).toEqual(['db.backup-restore']);
    expect(r.report.items.find((i) => i.id === 'risk.stop-losses')).toMatchObject({ status: 'pass', ranBy: admin.email, trigger: 'manual' });
    const waiting = await rt.queues.queues.get('readiness.run')!.getJobs(['waiting']);
    expect(waiting.map((j) => j.data)).toEqual([{ checks: ['db.backup-restore'], requestedBy: admin.email }]);
  });

  it('go-live: wrong password changes nothing; refused while not all pass; allowed when all pass', async () => {
    await expect(caller(admin).readiness.goLive({ reason: 'go live', password: 'not-it' })).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(caller(admin).readiness.goLive({ reason: 'go live', password: PASSWORD })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: expect.stringContaining('refused: readiness is not all pass and fresh') });
    await allPass();
    expect(await caller(admin).readiness.goLive({ reason: 'all green', password: PASSWORD })).toEqual({ changed: true, pendingApproval: null });
    expect(await brokerAccountMode(rt.deps)).toBe('live');
    expect(await caller(admin).readiness.goPaper({ reason: 'back', password: PASSWORD })).toEqual({ changed: true });
  });

  it('two-person approval: the switch is asked for, and runs when a second admin approves', async () => {
    await rt.deps.prisma.setting.upsert({ where: { key: 'twoPersonApproval' }, create: { key: 'twoPersonApproval', value: true }, update: { value: true } });
    await rt.deps.prisma.readinessResult.updateMany({ where: { check: 'paper.record' }, data: { status: 'fail' } });
    await expect(caller(admin).readiness.goLive({ reason: 'go live', password: PASSWORD })).rejects.toMatchObject({ code: 'PRECONDITION_FAILED' });
    expect(await rt.deps.prisma.approval.count()).toBe(0); // no request that could not run
    await allPass();
    const asked = await caller(admin).readiness.goLive({ reason: 'two of us', password: PASSWORD });
    expect(asked.pendingApproval).toMatchObject({ approvalId: expect.any(String) });
    expect(await rt.deps.prisma.approval.findUniqueOrThrow({ where: { id: asked.pendingApproval!.approvalId } })).toMatchObject({ action: 'broker.go-live', status: 'pending' });
    expect(await brokerAccountMode(rt.deps)).toBe('paper');
    await caller(second).approvals.decide({ id: asked.pendingApproval!.approvalId, approve: true, password: PASSWORD });
    expect(await brokerAccountMode(rt.deps)).toBe('live');
    const a = await rt.deps.prisma.auditLog.findFirstOrThrow({ where: { action: 'broker.go-live' }, orderBy: { seq: 'desc' } });
    expect(a).toMatchObject({ actorEmail: second.email, reason: `two of us (requested by ${admin.email}, approved by ${second.email})` });
    expect(a.after).toMatchObject({ approvedBy: `requested by ${admin.email}, approved by ${second.email}` });
  });
});
