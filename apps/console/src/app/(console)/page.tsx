import { Overview } from '@/components/overview';

export const dynamic = 'force-dynamic';

export default function OverviewPage() {
  return <Overview />;
}
