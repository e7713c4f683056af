import { Redirect, Route, Switch, useParams } from 'wouter';
import { useEffect } from 'react';
import { setCurrentProject } from './api/client';
import { ProjectProvider, scopeOf, useSession } from './session';
import { ProjectLayout } from './ui/layout';
import { Empty } from './ui/states';
import { AffiliateDetailPage } from './pages/affiliate-detail';
import { AffiliatesPage } from './pages/affiliates';
import { ApiKeysPage } from './pages/api-keys';
import { ApplicationsPage } from './pages/applications';
import { AuditLogPage } from './pages/audit-log';
import { ConversionDetailPage } from './pages/conversion-detail';
import { ConversionsPage } from './pages/conversions';
import { EventDetailPage } from './pages/event-detail';
import { EventsPage } from './pages/events';
import { GroupsPage } from './pages/groups';
import { IntegrationsPage } from './pages/integrations';
import { OverviewPage } from './pages/overview';
import { PayoutBatchPage } from './pages/payout-batch';
import { PayoutsPage } from './pages/payouts';
import { PortalSettingsPage } from './pages/portal-settings';
import { SettingsPage } from './pages/settings';
import { UsersPage } from './pages/users';
import { WebhookDetailPage } from './pages/webhook-detail';
import { WebhooksPage } from './pages/webhooks';

/**
 * A project's pages, under /dashboard/projects/:projectId/… (wouter's nest: links inside are relative to it). The
 * project in the address is the one every /api/v1 request is about (X-Refwire-Project), so a link to a page of
 * another project works, and a project the user is not a member of says so.
 */
export function ProjectRoutes() {
  const { projectId } = useParams<{ projectId: string }>();
  const { me } = useSession();
  const membership = me.memberships.find((m) => m.project_id === projectId);
  // set during render, before any child's query runs, and again whenever the project changes
  setCurrentProject(membership ? membership.project_id : null);
  useEffect(() => () => setCurrentProject(null), []);
  if (!membership) {
    return (
      <main id="main" className="public">
        <div className="public-card">
          <Empty title="You are not a member of this project.">
            <p>
              <a href="/dashboard">Go to your projects</a>
            </p>
          </Empty>
        </div>
      </main>
    );
  }
  return (
    <ProjectProvider value={scopeOf(membership)}>
      <ProjectLayout key={membership.project_id}>
        <Switch>
          <Route path="/overview" component={OverviewPage} />
          <Route path="/applications" component={ApplicationsPage} />
          <Route path="/affiliates" component={AffiliatesPage} />
          <Route path="/affiliates/:email" component={AffiliateDetailPage} />
          <Route path="/groups" component={GroupsPage} />
          <Route path="/conversions" component={ConversionsPage} />
          <Route path="/conversions/:id" component={ConversionDetailPage} />
          <Route path="/payouts" component={PayoutsPage} />
          <Route path="/payouts/batches/:id" component={PayoutBatchPage} />
          <Route path="/integrations" component={IntegrationsPage} />
          <Route path="/events" component={EventsPage} />
          <Route path="/events/:id" component={EventDetailPage} />
          <Route path="/webhooks" component={WebhooksPage} />
          <Route path="/webhooks/:id" component={WebhookDetailPage} />
          <Route path="/portal" component={PortalSettingsPage} />
          <Route path="/settings" component={SettingsPage} />
          <Route path="/api-keys" component={ApiKeysPage} />
          <Route path="/users" component={UsersPage} />
          <Route path="/audit-log" component={AuditLogPage} />
          <Route path="/">
            <Redirect to="/overview" replace />
          </Route>
          <Route>
            <Empty title="There is no such page.">
              <p>Pick one in the navigation.</p>
            </Empty>
          </Route>
        </Switch>
      </ProjectLayout>
    </ProjectProvider>
  );
}
