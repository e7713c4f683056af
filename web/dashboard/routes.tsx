import { Redirect, Route, Switch, useLocation, useParams } from 'wouter';
import { Suspense, useEffect } from 'react';
import { setCurrentProject } from './api/client';
import { PAGES } from './page-chunks';
import { ProjectProvider, scopeOf, useSession } from './session';
import { ProjectLayout, PublicLayout } from './ui/layout';
import { PageHeader } from './ui/page';
import { Empty, Loading, PageBoundary } from './ui/states';

/**
 * A project's pages, under /dashboard/projects/:projectId/… (wouter's nest: links inside are relative to it). The
 * project in the address is the one every /api/v1 request is about (X-Refwire-Project), so a link to a page of
 * another project works, and a project the user is not a member of says so.
 */
export function ProjectRoutes() {
  const { projectId } = useParams<{ projectId: string }>();
  const { me } = useSession();
  const membership = me.memberships.find((m) => m.project_id === projectId);
  const [location] = useLocation();
  // set during render, before any child's query runs, and again whenever the project changes
  setCurrentProject(membership ? membership.project_id : null);
  useEffect(() => () => setCurrentProject(null), []);
  if (!membership) {
    return (
      <PublicLayout title="Not a member of this project">
        <Empty title="You are not a member of this project.">
          <p>
            <a href="/dashboard">Go to your projects</a>
          </p>
        </Empty>
      </PublicLayout>
    );
  }
  return (
    <ProjectProvider value={scopeOf(membership)}>
      <ProjectLayout key={membership.project_id}>
        <PageBoundary resetKey={location}>
          <Suspense fallback={<Loading />}>
            <Switch>
              {PAGES.map((p) => (
                <Route key={p.path} path={p.path} component={p.component} />
              ))}
              <Route path="/">
                <Redirect to="/overview" replace />
              </Route>
              <Route>
                <PageHeader title="Page not found" />
                <Empty title="There is no such page.">
                  <p>Pick one in the navigation.</p>
                </Empty>
              </Route>
            </Switch>
          </Suspense>
        </PageBoundary>
      </ProjectLayout>
    </ProjectProvider>
  );
}
