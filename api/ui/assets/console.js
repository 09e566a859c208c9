// The console's only script of its own: counts down every <time data-countdown> (an approval's expiry), also in
// lists htmx swaps in. It reads the datetime attribute and writes text only (textContent, never HTML).
/* global document, window */
function remaining(until) {
  const seconds = Math.round((Date.parse(until) - Date.now()) / 1000);
  if (!Number.isFinite(seconds)) return until;
  if (seconds <= 0) return 'expired';
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  if (hours > 0) return `in ${hours} h ${minutes % 60} min`;
  return minutes > 0 ? `in ${minutes} min ${seconds % 60} s` : `in ${seconds} s`;
}

function tick() {
  for (const element of document.querySelectorAll('time[data-countdown]')) {
    const until = element.getAttribute('datetime');
    element.textContent = remaining(until);
    element.title = until;
  }
}

tick();
window.setInterval(tick, 1000);
// A list htmx swaps in counts down at once, not a second later.
document.addEventListener('htmx:afterSettle', tick);
