// /risk: limits and their use, circuit breakers and their trips, reconciliation and the what-if check.
// Everything here reads; any signed-in user may see it (the layout has checked the session).
import { Risk } from '@/components/risk/risk';

export const dynamic = 'force-dynamic';

export default function RiskPage() {
  return <Risk />;
}
