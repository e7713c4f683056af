import { useEffect, type ReactNode } from 'react';
import { useMaybeProject, useProject } from '../session';

/** A page's heading (the document title follows it) and its actions. */
export function PageHeader(props: { title: string; description?: ReactNode; actions?: ReactNode }) {
  const project = useMaybeProject()?.project_name ?? null;
  useEffect(() => {
    document.title = project ? `${props.title} · ${project} · Refwire` : `${props.title} · Refwire`;
  }, [props.title, project]);
  return (
    <header className="page-header">
      <div>
        <h1 tabIndex={-1} id="page-title">
          {props.title}
        </h1>
        {props.description ? <p className="page-description">{props.description}</p> : null}
      </div>
      {props.actions ? <div className="page-actions">{props.actions}</div> : null}
    </header>
  );
}

/** Shown instead of a write control to a viewer: they see everything and change nothing. */
export function WriteOnly(props: { children: ReactNode }) {
  const { canWrite } = useProject();
  return canWrite ? <>{props.children}</> : null;
}

export function StatusBadge(props: { status: string }) {
  return <span className={`badge badge-${props.status.replace(/[^a-z_]/gi, '')}`}>{props.status.replace(/_/g, ' ')}</span>;
}
