/**
 * Who this browser is in the presence list and on remote cursors: a display
 * name (signed-in name, or a guest name remembered in localStorage) and a
 * colour that stays the same for this browser.
 */

export const GUEST_NAME_KEY = "confnotes-guest-name";
export const COLOR_KEY = "confnotes-user-color";
export const MAX_NAME_LENGTH = 60;

// Dark enough for white cursor labels (WCAG AA for small text on each).
const PALETTE = [
  "#b3261e", "#9c27b0", "#5e35b1", "#3949ab", "#1565c0", "#00796b",
  "#2e7d32", "#8d6e00", "#bf360c", "#ad1457", "#4e342e", "#37474f",
];

function storageGet(key) {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null; // storage disabled (privacy mode): fall back to per-page values
  }
}

function storageSet(key, value) {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Not remembered across pages; this page still uses the value.
  }
}

/** A colour from the palette, or null when `value` is not one of ours. */
export function safeColor(value) {
  return typeof value === "string" && /^#[0-9a-f]{6}([0-9a-f]{2})?$/i.test(value) ? value : null;
}

export function userColor() {
  const stored = safeColor(storageGet(COLOR_KEY));
  if (stored) return stored;
  const color = PALETTE[Math.floor(Math.random() * PALETTE.length)];
  storageSet(COLOR_KEY, color);
  return color;
}

export function cleanName(value) {
  return String(value ?? "").replace(/\s+/g, " ").trim().slice(0, MAX_NAME_LENGTH);
}

export function storedGuestName() {
  return cleanName(storageGet(GUEST_NAME_KEY));
}

export function rememberGuestName(name) {
  storageSet(GUEST_NAME_KEY, cleanName(name));
}

/** How a guest's name is shown to others (the server marks it the same way). */
export function guestLabel(name) {
  const clean = cleanName(name);
  return !clean || clean === "Guest" ? "Guest" : `${clean} (guest)`;
}

/** Awareness `user` field for `name`. */
export function awarenessUser(name) {
  const color = userColor();
  return { name, color, colorLight: `${color}33` };
}
