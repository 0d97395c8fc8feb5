'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { authClient } from '@/lib/auth-client';

export function Nav({ email, role }: { email: string; role: string }) {
  const path = usePathname();
  const router = useRouter();
  return (
    <header className="nav">
      <strong className="brand">ai-trader</strong>
      <nav>
        <Link href="/" aria-current={path === '/' ? 'page' : undefined}>Overview</Link>
        <Link href="/strategies" aria-current={path === '/strategies' ? 'page' : undefined}>Strategies</Link>
        <Link href="/backfills" aria-current={path === '/backfills' ? 'page' : undefined}>Backfills</Link>
        <Link href="/audit" aria-current={path === '/audit' ? 'page' : undefined}>Audit log</Link>
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
