'use client';
import Link from 'next/link';
import { usePathname, useRouter } from 'next/navigation';
import { useEffect } from 'react';
import { authClient } from '@/lib/auth-client';

const PAGES: Array<[string, string]> = [
  ['/', 'Overview'], ['/positions', 'Positions'], ['/orders', 'Orders'], ['/strategies', 'Strategies'], ['/scanner', 'Scanner'],
  ['/risk', 'Risk'], ['/data', 'Data'], ['/backfills', 'Backfills'], ['/jobs', 'Jobs'], ['/database', 'Database'], ['/logs', 'Logs'], ['/audit', 'Audit log'], ['/readiness', 'Readiness'],
];

/** Signs the page out after `minutes` without keyboard, pointer or touch input (live pushes are not use). */
function useIdleSignOut(minutes: number, onIdle: () => void) {
  useEffect(() => {
    let last = Date.now();
    const seen = () => (last = Date.now());
    const events = ['keydown', 'pointerdown', 'pointermove', 'wheel', 'touchstart'] as const;
    for (const e of events) window.addEventListener(e, seen, { passive: true });
    const timer = setInterval(() => {
      if (Date.now() - last >= minutes * 60_000) {
        clearInterval(timer);
        onIdle();
      }
    }, 15_000);
    return () => {
      clearInterval(timer);
      for (const e of events) window.removeEventListener(e, seen);
    };
  }, [minutes, onIdle]);
}

export function Nav({ email, role, idleMinutes }: { email: string; role: string; idleMinutes: number }) {
  const path = usePathname();
  const router = useRouter();
  useIdleSignOut(idleMinutes, () => void authClient.signOut().finally(() => router.replace('/login?reason=idle')));
  const pages = role === 'admin' ? [...PAGES, ['/admin', 'Admin'] as [string, string]] : PAGES;
  return (
    <header className="nav">
      <strong className="brand">ai-trader</strong>
      <nav aria-label="Pages">
        {pages.map(([href, label]) => (
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
        <button
          className="link"
          title="End every session of this account, on every device"
          onClick={async () => {
            await authClient.revokeSessions();
            router.replace('/login?reason=everywhere');
          }}
        >
          Sign out everywhere
        </button>
      </span>
    </header>
  );
}
