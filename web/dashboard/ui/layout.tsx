import { useEffect, useRef, type ReactNode } from 'react';
import { Link, useLocation } from 'wouter';
import { preloadPage } from '../page-chunks';
import { useProject, useSession } from '../session';

export const NAV: { path: string; label: string }[] = [
  { path: '/overview', label: 'Overview' },
  { path: '/applications', label: 'Applications' },
  { path: '/affiliates', label: 'Affiliates' },
  { path: '/groups', label: 'Groups' },
  { path: '/product-rules', label: 'Product rules' },
  { path: '/coupons', label: 'Coupons' },
  { path: '/referrals', label: 'Referrals' },
  { path: '/conversions', label: 'Conversions' },
  { path: '/payouts', label: 'Payouts' },
  { path: '/integrations', label: 'Integrations' },
  { path: '/events', label: 'Events' },
  { path: '/webhooks', label: 'Outbound webhooks' },
  { path: '/emails', label: 'Emails' },
  { path: '/portal', label: 'Affiliate portal' },
  { path: '/settings', label: 'Settings' },
  { path: '/api-keys', label: 'API keys' },
  { path: '/users', label: 'Users' },
  { path: '/audit-log', label: 'Audit log' },
];

/**
 * Focus to the page's heading as soon as it is on screen: at once when the page is drawn with the navigation, or
 * when its chunk arrives (routes.tsx), however late; and again when the page draws its heading anew (a detail page
 * replaces its loading state's), until the person does something (a key, a pointer, focus moved), a later move to
 * another page takes over, or 10 s pass.
 */
let stopWaitingForHeading: (() => void) | null = null;
function focusHeadingWhenShown(): void {
  stopWaitingForHeading?.();
  // while the next page's chunk loads, the last page may still be in the document, hidden
  const shownHeading = () => {
    const heading = document.getElementById('page-title');
    return heading && heading.getClientRects().length > 0 ? heading : null;
  };
  const follow = () => {
    const shown = shownHeading();
    if (shown && document.activeElement !== shown) shown.focus();
  };
  const observer = new MutationObserver(follow);
  observer.observe(document.getElementById('main') ?? document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ['style'] });
  const movedByPerson = (e: Event) => {
    if (e.type !== 'focusin' || (e.target as Element | null)?.id !== 'page-title') stopWaitingForHeading?.();
  };
  const events = ['keydown', 'pointerdown', 'focusin'] as const;
  for (const type of events) document.addEventListener(type, movedByPerson, true);
  const timer = setTimeout(() => stopWaitingForHeading?.(), 10_000);
  stopWaitingForHeading = () => {
    observer.disconnect();
    for (const type of events) document.removeEventListener(type, movedByPerson, true);
    clearTimeout(timer);
    stopWaitingForHeading = null;
  };
  follow();
}

/**
 * The frame of every project page: a skip link, the project switcher, the user and sign-out, the navigation, and
 * the page. After a move to another page, focus goes to its heading, so a screen reader announces where it is.
 */
export function ProjectLayout(props: { children: ReactNode }) {
  const { me, signOut } = useSession();
  const project = useProject();
  const [location, navigate] = useLocation();
  const section = '/' + (location.split('/')[1] ?? '');
  const first = useRef(true);
  // every page has its own path (a list, an item of it), so any move of the path is to another page
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    focusHeadingWhenShown();
  }, [location]);
  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <span className="brand">Refwire</span>
        <label className="project-switch">
          <span className="visually-hidden">Project</span>
          <select
            value={project.project_id}
            onChange={(e) => {
              // an absolute address: leave this project's nest for the chosen one's overview
              navigate(`~/dashboard/projects/${e.currentTarget.value}/overview`);
            }}
          >
            {me.memberships.map((m) => (
              <option key={m.project_id} value={m.project_id}>
                {m.project_name}
              </option>
            ))}
          </select>
        </label>
        <span className="role-badge" title="Your role in this project">
          {project.role}
        </span>
        <span className="topbar-spacer" />
        <span className="user-email">{me.user.email}</span>
        <button type="button" className="button button-quiet" onClick={() => void signOut()}>
          Sign out
        </button>
      </header>
      <div className="body">
        <nav className="sidebar" aria-label="Dashboard">
          <ul>
            {NAV.map((item) => (
              <li key={item.path}>
                <Link
                  href={item.path}
                  aria-current={section === item.path ? 'page' : undefined}
                  onPointerEnter={() => preloadPage(item.path)}
                  onFocus={() => preloadPage(item.path)}
                >
                  {item.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <main id="main" className="main" tabIndex={-1}>
          {!project.canWrite ? (
            <p className="readonly-banner" role="note">
              You are a viewer in {project.project_name}: you can see everything and change nothing.
            </p>
          ) : null}
          {props.children}
        </main>
      </div>
    </div>
  );
}

/** The frame of the pages seen signed out: sign-in, set-up, password reset, invitation. */
/** How many public pages this visit has shown: the first keeps the browser's focus, later ones take it. */
let publicPagesShown = 0;

export function PublicLayout(props: { title: string; children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${props.title} · Refwire`;
    // a page that replaced another (the set-up's answer, "Forgot your password?"): its heading takes the focus, so a
    // screen reader says where the person is; the first page a visit opens leaves the focus where the browser puts it
    if (publicPagesShown++ > 0) heading.current?.focus();
  }, [props.title]);
  return (
    <main id="main" className="public">
      <div className="public-card">
        <p className="brand">Refwire</p>
        <h1 ref={heading} tabIndex={-1}>
          {props.title}
        </h1>
        {props.children}
      </div>
    </main>
  );
}
