// The community-kept list (github.com/disposable-email-domains/disposable-email-domains), ~120k domains. The package
// is one JSON array and ships no types; read at the first check, not at start-up.
let DISPOSABLE: Set<string> | null = null;
const disposable = () => (DISPOSABLE ??= new Set<string>(require('disposable-email-domains') as string[]));

/** True when the address's domain, or a domain it is under, is a known throwaway-mailbox service. */
export function isDisposableEmail(email: string): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase().replace(/\.$/, '');
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i++) if (disposable().has(labels.slice(i).join('.'))) return true;
  return false;
}
