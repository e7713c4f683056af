import type { UseQueryResult } from '@tanstack/react-query';
import { Component, type ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Loading(props: { label?: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {props.label ?? 'Loading…'}
    </p>
  );
}

export function ErrorState(props: { error: unknown; retry?: () => void; title?: string }) {
  const message = props.error instanceof ApiError ? props.error.message : 'Something went wrong while loading this.';
  return (
    <div className="state state-error" role="alert">
      <p>
        <strong>{props.title ?? 'Could not load this.'}</strong> {message}
      </p>
      {props.retry ? (
        <button type="button" className="button" onClick={props.retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function Empty(props: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p>
        <strong>{props.title}</strong>
      </p>
      {props.children}
    </div>
  );
}

/** A query's three states in one place: loading, error (with a retry), and its data. */
export function QueryView<T>(props: { query: UseQueryResult<T>; loadingLabel?: string; children: (data: T) => ReactNode }) {
  const q = props.query;
  if (q.isPending) return <Loading label={props.loadingLabel} />;
  if (q.isError) return <ErrorState error={q.error} retry={() => void q.refetch()} />;
  return <>{props.children(q.data)}</>;
}

/**
 * What a page shows when it cannot be drawn at all: its chunk could not be fetched (the server was restarted on a
 * newer build, or the network dropped) or it threw while rendering. The navigation stays usable, and moving to
 * another page clears the error; "Try again" reloads, which fetches the current build.
 */
export class PageBoundary extends Component<{ children: ReactNode; resetKey: string }, { error: unknown }> {
  override state: { error: unknown } = { error: null };

  static getDerivedStateFromError(error: unknown) {
    return { error };
  }

  override componentDidUpdate(previous: { resetKey: string }) {
    if (previous.resetKey !== this.props.resetKey && this.state.error !== null) this.setState({ error: null });
  }

  override render() {
    if (this.state.error === null) return this.props.children;
    return <ErrorState title="Could not show this page." error={this.state.error} retry={() => window.location.reload()} />;
  }
}
