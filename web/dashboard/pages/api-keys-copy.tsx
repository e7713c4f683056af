import { useState } from 'react';
import { useAnnounce } from '../ui/announce';

/** Copies a text to the clipboard and says so (on the button for a moment, and to screen readers). */
export function CopyButton(props: { text: string; label: string; small?: boolean }) {
  const announce = useAnnounce();
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className={`button${props.small ? ' button-small' : ''}`}
      aria-label={props.label}
      onClick={async () => {
        try {
          await navigator.clipboard.writeText(props.text);
          setCopied(true);
          setTimeout(() => setCopied(false), 2000);
          announce('Copied to the clipboard.');
        } catch {
          announce('Could not copy: select the text and copy it yourself.', 'error');
        }
      }}
    >
      {copied ? 'Copied' : 'Copy'}
    </button>
  );
}
