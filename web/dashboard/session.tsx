import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { api, ApiError, onSessionExpired, setCsrfToken, setCurrentProject, unwrap } from './api/client';

export type Role = 'owner' | 'admin' | 'viewer';
export type Membership = { project_id: string; project_name: string; currency: string; role: Role };
export type Me = { user: { id: string; email: string }; memberships: Membership[]; csrf_token: string; session_expires_at: string };

type Session = {
  me: Me;
  /** after a sign-in, an accepted invitation or the set-up: the answer carries what GET /api/dashboard/me does */
  signedIn(me: Me): void;
  signOut(): Promise<void>;
  refresh(): Promise<void>;
};

const SessionContext = createContext<Session | null>(null);

export function useSession(): Session {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside a signed-in page');
  return s;
}

/** Why the sign-in page shows: never signed in, or a session that ended (then it says so). */
export type SignedOutReason = 'signed-out' | 'expired';

type State = { kind: 'checking' } | { kind: 'in'; me: Me } | { kind: 'out'; reason: SignedOutReason };

const ME_KEY = ['dashboard', 'me'] as const;

/**
 * Asks the server who is signed in (GET /api/dashboard/me) and keeps the CSRF token. When the session ends — a 401
 * from any request — every cached answer is dropped at once, so no data stays on screen, and the sign-in page shows.
 */
export function SessionGate(props: { signedIn(session: Session): ReactNode; signedOut(reason: SignedOutReason, signedIn: (me: Me) => void): ReactNode; checking: ReactNode }) {
  const client = useQueryClient();
  const [state, setState] = useState<State>({ kind: 'checking' });
  const me = useQuery({
    queryKey: ME_KEY,
    queryFn: () => unwrap(api.GET('/api/dashboard/me')).then((a) => a.data as unknown as Me),
    retry: (count, err) => !(err instanceof ApiError && err.status === 401) && count < 2,
    staleTime: Infinity,
  });

  useEffect(() => {
    if (me.data) {
      setCsrfToken(me.data.csrf_token);
      setState({ kind: 'in', me: me.data });
    } else if (me.error) {
      setState((s) => (s.kind === 'out' ? s : { kind: 'out', reason: 'signed-out' }));
    }
  }, [me.data, me.error]);

  useEffect(
    () =>
      onSessionExpired(() => {
        setCsrfToken(null);
        setCurrentProject(null);
        client.clear();
        setState({ kind: 'out', reason: 'expired' });
      }),
    [client],
  );

  const session = useMemo<Session | null>(() => {
    if (state.kind !== 'in') return null;
    return {
      me: state.me,
      signedIn: (next) => {
        setCsrfToken(next.csrf_token);
        client.setQueryData(ME_KEY, next);
        setState({ kind: 'in', me: next });
      },
      signOut: async () => {
        try {
          await unwrap(api.POST('/api/dashboard/logout'));
        } finally {
          setCsrfToken(null);
          setCurrentProject(null);
          client.clear();
          setState({ kind: 'out', reason: 'signed-out' });
        }
      },
      refresh: async () => {
        const next = await unwrap(api.GET('/api/dashboard/me')).then((a) => a.data as unknown as Me);
        client.setQueryData(ME_KEY, next);
        setState({ kind: 'in', me: next });
      },
    };
  }, [state, client]);

  const signedIn = (next: Me) => {
    setCsrfToken(next.csrf_token);
    client.setQueryData(ME_KEY, next);
    setState({ kind: 'in', me: next });
  };

  if (state.kind === 'checking') return <>{props.checking}</>;
  if (state.kind === 'out' || !session) return <>{props.signedOut(state.kind === 'out' ? state.reason : 'signed-out', signedIn)}</>;
  return <SessionContext.Provider value={session}>{props.signedIn(session)}</SessionContext.Provider>;
}

/** The project a page under /projects/:projectId is about, and what the signed-in user may do there. */
export type ProjectScope = Membership & { canWrite: boolean; canManageTeam: boolean };

const ProjectContext = createContext<ProjectScope | null>(null);
export const ProjectProvider = ProjectContext.Provider;

export function useProject(): ProjectScope {
  const p = useContext(ProjectContext);
  if (!p) throw new Error('useProject outside a project page');
  return p;
}

/** The project scope when the page has one (headers shared by project pages and the signed-out pages). */
export function useMaybeProject(): ProjectScope | null {
  return useContext(ProjectContext);
}

export function scopeOf(m: Membership): ProjectScope {
  return { ...m, canWrite: m.role !== 'viewer', canManageTeam: m.role !== 'viewer' };
}
