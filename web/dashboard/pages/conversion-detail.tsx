import { PageHeader } from '../ui/page';

// TODO(dashboard pages): replaced by the page itself
export function ConversionDetailPage() {
  return <PageHeader title="ConversionDetailPage" />;
}
