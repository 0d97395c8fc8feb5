'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { authClient } from '@/lib/auth-client';

const PAGES: Array<[string, string]> = [
  ['/', 'Overview'], ['/positions', 'Positions'], ['/orders', 'Orders'], ['/strategies', 'Strategies'], ['/scanner', 'Scanner'],
  ['/risk', 'Risk'], ['/data', 'Data'], ['/backfills', 'Backfills'], ['/jobs', 'Jobs'], ['/logs', 'Logs'], ['/audit', 'Audit log'],
];

export function Nav({ email, role }: { email: string; role: string }) {
  const path = usePathname();
  const router = useRouter();
  return (
    <header className="nav">
      <strong className="brand">ai-trader</strong>
      <nav aria-label="Pages">
        {PAGES.map(([href, label]) => (
          <Link key={href} href={href} aria-current={(href === '/' ? path === '/' : path.startsWith(href)) ? 'page' : undefined}>{label}</Link>
        ))}
      </nav>
      <span className="who">
        {email} <span className="role">{role}</span>
        <button
          className="link"
          onClick={async () => {
            await authClient.signOut();
            router.replace('/login');
          }}
        >
          Sign out
        </button>
      </span>
    </header>
  );
}
