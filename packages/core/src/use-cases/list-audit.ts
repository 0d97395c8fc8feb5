// The audit log, newest first, paged by id.
import type { TAuditEntry } from '@ai-trader/contracts';
import type { Deps } from '../ports.ts';

export async function listAudit(deps: Pick<Deps, 'prisma'>, input: { limit: number; beforeId?: string | undefined }): Promise<TAuditEntry[]> {
  const rows = await deps.prisma.auditLog.findMany({
    where: input.beforeId ? { id: { lt: BigInt(input.beforeId) } } : {},
    orderBy: { id: 'desc' },
    take: input.limit,
  });
  return rows.map((r) => ({
    id: r.id.toString(), at: r.at.toISOString(), actorEmail: r.actorEmail, action: r.action, reason: r.reason,
    before: r.before ?? null, after: r.after ?? null,
  }));
}
