import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Redirect, Route, Router, Switch, useLocation } from 'wouter';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { api, ApiError, unwrap } from './api/client';
import { AcceptInvitationPage, ForgotPasswordPage, ResetPasswordPage, SignInPage } from './pages/sign-in';
import { SetupPage } from './pages/setup';
import { preloadPage } from './page-chunks';
import { ProjectRoutes } from './routes';
import { SessionGate, useSession, type Me } from './session';
import { AnnounceProvider } from './ui/announce';
import { keepFocus } from './ui/focus-keeper';
import { PublicLayout } from './ui/layout';
import { Empty, ErrorState, Loading } from './ui/states';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 15_000,
      // a refusal will be refused again, and a server error (500) answered again: only a failure to reach the server,
      // or a server that says it is busy for now (502, 503, 504), is worth another try
      retry: (count, err) => (!(err instanceof ApiError) || err.status === 0 || [502, 503, 504].includes(err.status)) && count < 2,
      refetchOnWindowFocus: false,
    },
  },
});

/** Signed out: the set-up page while no user exists, else the sign-in (and the pages reached from emails). */
function SignedOut(props: { reason: 'signed-out' | 'expired'; signedIn(me: Me): void }) {
  const [setup, setSetup] = useState<{ needed: boolean } | { error: unknown } | null>(null);
  const [location] = useLocation();
  useEffect(() => {
    unwrap(api.GET('/api/dashboard/setup')).then(
      (a) => setSetup({ needed: Boolean((a.data as unknown as { needed: boolean }).needed) }),
      (error: unknown) => setSetup({ error }),
    );
  }, []);
  if (location.startsWith('/reset-password')) return <ResetPasswordPage />;
  if (location.startsWith('/accept-invitation')) return <AcceptInvitationPage signedIn={props.signedIn} />;
  if (location.startsWith('/forgot-password')) return <ForgotPasswordPage />;
  if (setup === null) return <Loading label="Starting…" />;
  if ('error' in setup)
    return (
      <PublicLayout title="Refwire">
        <ErrorState error={setup.error} retry={() => location && window.location.reload()} />
      </PublicLayout>
    );
  if (setup.needed) return <SetupPage signedIn={props.signedIn} />;
  return <SignInPage reason={props.reason} signedIn={props.signedIn} />;
}

function Home() {
  const { me } = useSession();
  const first = me.memberships[0];
  if (!first)
    return (
      <PublicLayout title="No projects yet">
        <Empty title="You are not a member of any project.">
          <p>Ask a project's owner or admin to invite you.</p>
        </Empty>
      </PublicLayout>
    );
  return <Redirect to={`/projects/${first.project_id}/overview`} replace />;
}

function SignedIn() {
  return (
    <Switch>
      <Route path="/projects/:projectId" nest component={ProjectRoutes} />
      <Route path="/accept-invitation">
        <AcceptWhileSignedIn />
      </Route>
      <Route>
        <Home />
      </Route>
    </Switch>
  );
}

/** An invitation opened while signed in: accepting it needs the password of the account it was sent to. */
function AcceptWhileSignedIn() {
  const { signedIn } = useSession();
  return <AcceptInvitationPage signedIn={signedIn} />;
}

function App() {
  return (
    <StrictMode>
      <QueryClientProvider client={queryClient}>
        <AnnounceProvider>
          <Router base="/dashboard">
            <SessionGate checking={<Loading label="Loading Refwire…" />} signedOut={(reason, signedIn) => <SignedOut reason={reason} signedIn={signedIn} />} signedIn={() => <SignedIn />} />
          </Router>
        </AnnounceProvider>
      </QueryClientProvider>
    </StrictMode>
  );
}

// the page's chunk, and its first requests where page-chunks.ts names them, are fetched while the session is asked
// for, not after
preloadPage(location.pathname, { client: queryClient, search: location.search });
// focus taken away by a change (a row removed, a button busy) goes somewhere a keyboard user can go on from
keepFocus();
createRoot(document.getElementById('app')!).render(<App />);
