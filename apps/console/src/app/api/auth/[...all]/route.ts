// better-auth's endpoints (sign-in, sign-out, session).
import { getConsoleServer } from '@ai-trader/api';
import { toNextJsHandler } from 'better-auth/next-js';

export const dynamic = 'force-dynamic';

export async function GET(req: Request) {
  return toNextJsHandler(getConsoleServer().auth).GET(req);
}
export async function POST(req: Request) {
  return toNextJsHandler(getConsoleServer().auth).POST(req);
}
