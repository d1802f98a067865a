// What a guest's page remembers across the reload that takes it into a live session (and
// out): the session it is in. Kept apart from ./live.ts, which the entry must not load.

export interface GuestInfo {
  link: string;
  name: string;
  /** Whose folder: the host's address. */
  title: string;
}

export const GUEST_KEY = 'weft.guest';

/** The session this page is a guest of, if any. */
export function guestInfo(): GuestInfo | null {
  try {
    const v = JSON.parse(sessionStorage.getItem(GUEST_KEY) ?? 'null') as GuestInfo | null;
    return v && typeof v.link === 'string' && typeof v.name === 'string' ? v : null;
  } catch {
    return null;
  }
}
