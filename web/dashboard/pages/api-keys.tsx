import { PageHeader } from '../ui/page';

// TODO(dashboard pages): replaced by the page itself
export function ApiKeysPage() {
  return <PageHeader title="ApiKeysPage" />;
}
