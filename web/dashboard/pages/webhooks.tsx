import { PageHeader } from '../ui/page';

// TODO(dashboard pages): replaced by the page itself
export function WebhooksPage() {
  return <PageHeader title="WebhooksPage" />;
}
