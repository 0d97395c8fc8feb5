// Two-person approval (an optional policy, off by default): with `twoPersonApproval` on, resume-after-halt and
// key rotation are requested by one admin and run only when a different admin approves. A request is claimed
// atomically (pending → approved under a row lock) so two approvers cannot both run it; it expires after
// APPROVAL_TTL_MINUTES. Requests, approvals, rejections and the policy itself are audited.
import { ZApprovalAction, ZSettings, type TActor, type TApprovalAction, type TApprovalView, type TSettings } from '@ai-trader/contracts';
import type { Db } from '@ai-trader/db';

export const APPROVAL_TTL_MINUTES = 30;
const DEFAULTS: TSettings = { twoPersonApproval: false };

export class ApprovalError extends Error {
  constructor(message: string, readonly code: 'NOT_FOUND' | 'CONFLICT' | 'FORBIDDEN') {
    super(message);
    this.name = 'ApprovalError';
  }
}

export async function getSettings(prisma: Db): Promise<TSettings> {
  const rows = await prisma.setting.findMany({ where: { key: { in: Object.keys(DEFAULTS) } } });
  const stored = Object.fromEntries(rows.map((r) => [r.key, r.value]));
  return ZSettings.parse({ ...DEFAULTS, ...stored });
}

/** Changes one setting, audited as settings.change with the value before and after. */
export async function setSetting<K extends keyof TSettings>(prisma: Db, key: K, value: TSettings[K], actor: TActor, reason: string): Promise<{ changed: boolean }> {
  ZSettings.shape[key].parse(value);
  return prisma.$transaction(async (tx) => {
    const row = await tx.setting.findUnique({ where: { key } });
    const before = row ? row.value : DEFAULTS[key];
    if (before === value) return { changed: false };
    await tx.setting.upsert({ where: { key }, create: { key, value, updatedById: actor.id, updatedByEmail: actor.email }, update: { value, updatedById: actor.id, updatedByEmail: actor.email } });
    await tx.auditLog.create({ data: { actorId: actor.id, actorEmail: actor.email, action: 'settings.change', reason, before: { [key]: before }, after: { [key]: value } } });
    return { changed: true };
  });
}

export async function requestApproval(
  prisma: Db,
  input: { action: TApprovalAction; payload: Record<string, unknown>; reason: string; actor: TActor },
  now = new Date(),
): Promise<{ approvalId: string; expiresAt: Date }> {
  return prisma.$transaction(async (tx) => {
    const expiresAt = new Date(now.getTime() + APPROVAL_TTL_MINUTES * 60_000);
    const row = await tx.approval.create({
      data: {
        action: input.action, payload: input.payload as object, reason: input.reason, status: 'pending',
        requestedById: input.actor.id, requestedByEmail: input.actor.email, requestedAt: now, expiresAt,
      },
    });
    await tx.auditLog.create({
      data: { actorId: input.actor.id, actorEmail: input.actor.email, action: 'approval.request', reason: input.reason, after: { approvalId: row.id, action: input.action, payload: input.payload as object, expiresAt: expiresAt.toISOString() } },
    });
    return { approvalId: row.id, expiresAt };
  });
}

export async function listApprovals(prisma: Db, now = new Date()): Promise<TApprovalView[]> {
  const rows = await prisma.approval.findMany({ orderBy: { requestedAt: 'desc' }, take: 50 });
  return rows.map((r) => ({
    id: r.id, action: r.action, payload: r.payload, reason: r.reason, status: (r.status === 'pending' && r.expiresAt <= now ? 'expired' : r.status) as TApprovalView['status'],
    requestedByEmail: r.requestedByEmail, requestedAt: r.requestedAt, expiresAt: r.expiresAt, decidedByEmail: r.decidedByEmail, decidedAt: r.decidedAt, result: r.result,
  }));
}

/**
 * A second admin decides. Approving claims the request and runs `execute` with its payload; the outcome (or the
 * error) is stored on the row. The requester cannot approve their own request.
 */
export async function decideApproval(
  prisma: Db,
  input: { id: string; approve: boolean; actor: TActor; execute: (action: TApprovalAction, payload: Record<string, unknown>, reason: string) => Promise<unknown> },
  now = new Date(),
): Promise<{ status: 'rejected' | 'executed' | 'failed'; result?: unknown; error?: string }> {
  const claimed = await prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM approvals WHERE id = ${input.id}::uuid FOR UPDATE`;
    if (!rows.length) throw new ApprovalError(`no approval request ${input.id}`, 'NOT_FOUND');
    const a = await tx.approval.findUniqueOrThrow({ where: { id: input.id } });
    if (a.status !== 'pending') throw new ApprovalError(`this request was already ${a.status}`, 'CONFLICT');
    if (a.expiresAt <= now) {
      await tx.approval.update({ where: { id: a.id }, data: { status: 'expired' } });
      throw new ApprovalError(`this request expired at ${a.expiresAt.toISOString()}; ask again`, 'CONFLICT');
    }
    if (a.requestedById === input.actor.id) throw new ApprovalError('a second admin must approve: you asked for this yourself', 'FORBIDDEN');
    const status = input.approve ? 'approved' : 'rejected';
    await tx.approval.update({ where: { id: a.id }, data: { status, decidedById: input.actor.id, decidedByEmail: input.actor.email, decidedAt: now } });
    await tx.auditLog.create({
      data: {
        actorId: input.actor.id, actorEmail: input.actor.email, action: input.approve ? 'approval.approve' : 'approval.reject',
        reason: `${a.action} requested by ${a.requestedByEmail}: ${a.reason}`, after: { approvalId: a.id, action: a.action, payload: a.payload as object },
      },
    });
    return a;
  });
  if (!input.approve) return { status: 'rejected' };
  const reason = `${claimed.reason} (requested by ${claimed.requestedByEmail}, approved by ${input.actor.email})`;
  try {
    const result = await input.execute(ZApprovalAction.parse(claimed.action), claimed.payload as Record<string, unknown>, reason);
    await prisma.approval.update({ where: { id: claimed.id }, data: { status: 'executed', result: (result ?? null) as object } });
    return { status: 'executed', result };
  } catch (e) {
    const error = e instanceof Error ? e.message : String(e);
    await prisma.approval.update({ where: { id: claimed.id }, data: { status: 'failed', result: { error } } });
    return { status: 'failed', error };
  }
}
