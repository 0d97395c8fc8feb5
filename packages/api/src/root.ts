import { ZActor } from '@ai-trader/contracts';
import { auditRouter } from './routers/audit.ts';
import { backfillRouter } from './routers/backfill.ts';
import { jobsRouter } from './routers/jobs.ts';
import { overviewRouter } from './routers/overview.ts';
import { strategiesRouter } from './routers/strategies.ts';
import { tradingRouter } from './routers/trading.ts';
import { dataRouter } from './routers/data.ts';
import { riskRouter } from './routers/risk.ts';
import { scannerRouter } from './routers/scanner.ts';
import { positionsRouter } from './routers/positions.ts';
import { ordersRouter } from './routers/orders.ts';
import { logsRouter } from './routers/logs.ts';
import { approvalsRouter, settingsRouter, usersRouter } from './routers/admin.ts';
import { keysRouter } from './routers/keys.ts';
import { databaseRouter } from './routers/database.ts';
import { emergencyRouter } from './routers/emergency.ts';
import { rampRouter } from './routers/ramp.ts';
import { readinessRouter } from './routers/readiness.ts';
import { router, viewerProcedure } from './trpc.ts';

export const appRouter = router({
  me: viewerProcedure.output(ZActor).query(({ ctx }) => ctx.actor),
  overview: overviewRouter,
  trading: tradingRouter,
  audit: auditRouter,
  backfill: backfillRouter,
  strategies: strategiesRouter,
  jobs: jobsRouter,
  risk: riskRouter,
  data: dataRouter,
  scanner: scannerRouter,
  positions: positionsRouter,
  orders: ordersRouter,
  logs: logsRouter,
  users: usersRouter,
  settings: settingsRouter,
  approvals: approvalsRouter,
  keys: keysRouter,
  database: databaseRouter,
  emergency: emergencyRouter,
  ramp: rampRouter,
  readiness: readinessRouter,
});
export type AppRouter = typeof appRouter;
