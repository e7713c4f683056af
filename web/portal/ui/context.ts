import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { TFunction } from 'i18next';
import type { PortalApi } from '../api';

export type PortalEvent =
  | 'ready'
  | 'error'
  | 'unauthorized'
  | 'signin'
  | 'signout'
  | 'language'
  | 'copy'
  | 'link:created'
  | 'payout:requested'
  | 'payout_details:updated';

export type Ctx = {
  t: TFunction;
  lang: string;
  api: PortalApi;
  /** tells screen-reader users what just happened (a polite live region) */
  announce: (message: string) => void;
  emit: (event: PortalEvent, detail?: unknown) => void;
  /** every widget on the page in this language, as Refwire.portal.setLanguage */
  setLanguage: (lang: string) => void;
};

export const PortalContext = createContext<Ctx>(null as unknown as Ctx);
export const usePortal = () => useContext(PortalContext);
