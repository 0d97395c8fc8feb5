// GET /orders/export?symbol=…&status=…&side=…&view=…&from=…&to=…: the Orders page's filtered rows as CSV, generated
// here from the same query (ordersCsv) and streamed as a download. Viewers and up; money as plain decimals, times ISO UTC.
import { actorFromHeaders, getConsoleServer } from '@ai-trader/api';
import { ZOrdersFilter } from '@ai-trader/contracts';
import { ordersCsv } from '@ai-trader/core';

export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  const server = getConsoleServer();
  await server.ready;
  const actor = await actorFromHeaders(server.auth, req.headers);
  if (!actor) return Response.json({ error: 'sign in first' }, { status: 401 });
  // An empty field of the form means "any".
  const query = Object.fromEntries([...new URL(req.url).searchParams].filter(([, v]) => v !== ''));
  const parsed = ZOrdersFilter.safeParse(query);
  if (!parsed.success)
    return Response.json({ error: 'the filter is not valid', validation: parsed.error.issues.map((i) => `${i.path.join('.') || 'filter'}: ${i.message}`) }, { status: 400 });
  const f = parsed.data;
  const lines = ordersCsv(server.runtime.deps, f);
  const enc = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(ctl) {
      try {
        const next = await lines.next();
        if (next.done) ctl.close();
        else ctl.enqueue(enc.encode(next.value));
      } catch (e) {
        server.runtime.deps.logger.error({ err: (e as Error).message, filter: f }, 'orders CSV export failed');
        ctl.error(e);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const name = ['orders', f.symbol, f.view !== 'all' ? f.view : null, f.status, f.side, f.from, f.to].filter(Boolean).join('-');
  return new Response(body, {
    headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}.csv"`, 'Cache-Control': 'no-store' },
  });
}
