import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';

type Notice = { id: number; text: string; kind: 'success' | 'error' };
const AnnounceContext = createContext<(text: string, kind?: Notice['kind']) => void>(() => undefined);

/** What just happened ("3 commissions approved"), shown for a while and read out by screen readers. */
export function useAnnounce() {
  return useContext(AnnounceContext);
}

export function AnnounceProvider(props: { children: ReactNode }) {
  const [notices, setNotices] = useState<Notice[]>([]);
  const next = useRef(1);
  const announce = useCallback((text: string, kind: Notice['kind'] = 'success') => {
    const id = next.current++;
    setNotices((n) => [...n.slice(-2), { id, text, kind }]);
    setTimeout(() => setNotices((n) => n.filter((x) => x.id !== id)), 6000);
  }, []);
  return (
    <AnnounceContext.Provider value={announce}>
      {props.children}
      <div className="notices" role="status" aria-live="polite">
        {notices.map((n) => (
          <p key={n.id} className={`notice notice-${n.kind}`}>
            {n.text}
          </p>
        ))}
      </div>
    </AnnounceContext.Provider>
  );
}
