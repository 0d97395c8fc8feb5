// /logs: every process's log lines, searchable by category, level, text and New York time, live by push.
import { Logs } from '@/components/logs/logs';

export const dynamic = 'force-dynamic';

export default function LogsPage() {
  return <Logs />;
}
