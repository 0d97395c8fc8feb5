// Accounts, run-time settings and two-person approvals: the inputs and outputs of the Admin page's procedures
// and of `ai-trader users`.
import { z } from 'zod';
import { ZRole } from './api.ts';

export const ZUserEmail = z.string().trim().toLowerCase().email('must be an email address like ops@example.com').max(200);
export const ZNewUser = z.object({
  email: ZUserEmail,
  name: z.string().trim().min(1, 'name is required').max(100),
  role: ZRole,
  password: z.string().min(12, 'password must be at least 12 characters').max(200),
});
export type TNewUser = z.infer<typeof ZNewUser>;

export const ZUserView = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZRole,
  createdAt: z.date(),
  disabledAt: z.date().nullable(),
  /** Only while the lock lasts. */
  lockedUntil: z.date().nullable(),
  failedSignIns: z.number().int(),
  activeSessions: z.number().int(),
  lastSignInAt: z.date().nullable(),
});
export type TUserView = z.infer<typeof ZUserView>;

export const ZSettings = z.object({ twoPersonApproval: z.boolean() });
export type TSettings = z.infer<typeof ZSettings>;

export const ZApprovalAction = z.enum(['trading.resume', 'keys.rotate', 'broker.go-live']);
export type TApprovalAction = z.infer<typeof ZApprovalAction>;

export const ZApprovalView = z.object({
  id: z.string(),
  action: z.string(),
  payload: z.unknown(),
  reason: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'expired', 'executed', 'failed']),
  requestedByEmail: z.string(),
  requestedAt: z.date(),
  expiresAt: z.date(),
  decidedByEmail: z.string().nullable(),
  decidedAt: z.date().nullable(),
  result: z.unknown(),
});
export type TApprovalView = z.infer<typeof ZApprovalView>;

export const ZApprovalDecision = z.object({ status: z.enum(['rejected', 'executed', 'failed']), result: z.unknown().optional(), error: z.string().optional() });
